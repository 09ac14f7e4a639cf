"""End-to-end: pods run as real runc containers on the server's local agent.

A real Debian docker-registry on 127.0.0.1 serves a busybox image built here with umoci and
pushed with skopeo; the server's registries file makes it the docker.io mirror, so manifests
saying `image: busybox` run unchanged. Pods get addresses from the native bridge CNI plugin on a
test-only bridge and subnet; the test reaches them from the host over that bridge (traffic stays
inside the network namespaces the server created for this test). Needs root, runc, umoci,
skopeo, docker-registry and busybox; skipped without them.
"""
import json
import time
import unittest
import urllib.request

from node_fixture import RuncCluster, TOOLS, runc_cluster_available


@unittest.skipUnless(runc_cluster_available(), "needs root and " + ", ".join(TOOLS))
class PodsTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.node = RuncCluster("pods-e2e")
        cls.cluster = cls.node.cluster
        cls.subnet_prefix = cls.node.subnet_prefix

    @classmethod
    def tearDownClass(cls):
        cls.node.stop()

    def pod(self, name):
        return json.loads(self.cluster.kubectl("get", "pod", name, "-o", "json"))

    def wait_phase(self, name, phases, timeout=90):
        return self.node.wait_phase(name, phases, timeout)

    def test_node_registers_ready(self):
        node = json.loads(self.cluster.kubectl("get", "node", "pods-e2e", "-o", "json"))
        ready = [c for c in node["status"]["conditions"] if c["type"] == "Ready"]
        self.assertEqual(ready[0]["status"], "True")

    def test_pod_serves_http_on_its_cni_address(self):
        self.cluster.kubectl("run", "web", "--image=busybox", "--restart=Never", "--",
                             "sh", "-c", "mkdir -p /www && echo hello-from-runc > /www/index.html"
                             " && exec httpd -f -p 8080 -h /www")
        pod = self.wait_phase("web", ("Running",))
        ip = pod["status"]["podIP"]
        self.assertTrue(ip.startswith(self.subnet_prefix), ip)
        self.assertEqual(pod["spec"]["nodeName"], "pods-e2e")
        body = ""
        deadline = time.time() + 30
        while time.time() < deadline and "hello-from-runc" not in body:
            try:
                body = urllib.request.urlopen("http://%s:8080/" % ip, timeout=2).read().decode()
            except OSError:
                time.sleep(0.2)
        self.assertIn("hello-from-runc", body)
        status = pod["status"]["containerStatuses"][0]
        self.assertTrue(status["ready"])
        self.assertTrue(status["imageID"])
        self.cluster.kubectl("delete", "pod", "web", "--wait=true", "--timeout=60s", timeout=90)
        self.assertIn("NotFound", self.cluster.kubectl("get", "pod", "web", check=False).stderr)

    def test_exit_codes_become_pod_phases(self):
        self.cluster.kubectl("run", "ok", "--image=busybox", "--restart=Never", "--",
                             "sh", "-c", "echo done")
        self.cluster.kubectl("run", "bad", "--image=busybox", "--restart=Never", "--",
                             "sh", "-c", "exit 7")
        self.wait_phase("ok", ("Succeeded",))
        bad = self.wait_phase("bad", ("Failed",))
        term = bad["status"]["containerStatuses"][0]["state"]["terminated"]
        self.assertEqual(term["exitCode"], 7)
        self.assertEqual(term["reason"], "Error")

    def test_missing_image_backs_off(self):
        self.cluster.kubectl("run", "ghost", "--image=busybox-does-not-exist:1",
                             "--restart=Never")

        def waiting_reason():
            st = self.pod("ghost").get("status", {}).get("containerStatuses") or [{}]
            return st[0].get("state", {}).get("waiting", {}).get("reason", "")
        self.cluster.wait_for(lambda: waiting_reason() in ("ErrImagePull", "ImagePullBackOff"),
                              timeout=60, what="ErrImagePull")


if __name__ == "__main__":
    unittest.main()
