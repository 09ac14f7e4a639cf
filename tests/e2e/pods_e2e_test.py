"""End-to-end: pods run as real runc containers on the server's local agent.

A real Debian docker-registry on 127.0.0.1 serves a busybox image built here with umoci and
pushed with skopeo; the server's registries file makes it the docker.io mirror, so manifests
saying `image: busybox` run unchanged. Pods get addresses from the native bridge CNI plugin on a
test-only bridge and subnet; the test reaches them from the host over that bridge (traffic stays
inside the network namespaces the server created for this test). Needs root, runc, umoci,
skopeo, docker-registry and busybox; skipped without them.
"""
import json
import os
import shutil
import socket
import subprocess
import tempfile
import time
import unittest
import urllib.request

from capstan_cluster import Cluster

TOOLS = ("runc", "umoci", "skopeo", "docker-registry", "busybox")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def sh(script):
    subprocess.run(["sh", "-ec", script], check=True, capture_output=True, text=True)


class Registry:
    """A docker-registry process with a busybox image as library/busybox:latest."""

    def __init__(self, root):
        self.port = free_port()
        cfg = os.path.join(root, "registry.yml")
        with open(cfg, "w") as f:
            f.write("version: 0.1\nlog:\n  level: warn\nstorage:\n  filesystem:\n"
                    "    rootdirectory: %s/storage\nhttp:\n  addr: 127.0.0.1:%d\n" %
                    (root, self.port))
        self.log = open(os.path.join(root, "registry.log"), "w")
        self.proc = subprocess.Popen(["docker-registry", "serve", cfg], stdout=self.log,
                                     stderr=self.log)
        deadline = time.time() + 15
        while time.time() < deadline:
            try:
                urllib.request.urlopen("http://127.0.0.1:%d/v2/" % self.port, timeout=1)
                break
            except OSError:
                time.sleep(0.1)
        try:
            self.push_busybox(root)
        except Exception:
            self.stop()
            raise

    def push_busybox(self, root):
        oci, b = os.path.join(root, "oci"), os.path.join(root, "bundle")
        sh("umoci init --layout {o}; umoci new --image {o}:latest; "
           "umoci unpack --image {o}:latest {b} >/dev/null; mkdir -p {b}/rootfs/bin; "
           "cp /bin/busybox {b}/rootfs/bin/busybox; "
           "for l in sh echo cat sleep httpd mkdir ls; do ln -s busybox {b}/rootfs/bin/$l; done; "
           "umoci repack --image {o}:latest {b}; "
           "umoci config --image {o}:latest --config.cmd /bin/sh --config.env PATH=/bin; "
           "skopeo copy -q --dest-tls-verify=false oci:{o}:latest "
           "docker://127.0.0.1:{p}/library/busybox:latest".format(o=oci, b=b, p=self.port))

    def stop(self):
        self.proc.terminate()
        self.proc.wait(timeout=10)
        self.log.close()


@unittest.skipUnless(os.geteuid() == 0 and all(shutil.which(t) for t in TOOLS),
                     "needs root and " + ", ".join(TOOLS))
class PodsTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="capstan-pods-")
        cls.registry = Registry(cls.tmp)
        registries = os.path.join(cls.tmp, "registries.json")
        with open(registries, "w") as f:
            json.dump({"registries": {"docker.io": {
                "mirrors": ["http://127.0.0.1:%d" % cls.registry.port], "mirrorsOnly": True}}},
                f)
        # A subnet and bridge of this test only (parallel tests use others).
        octet = 100 + os.getpid() % 100
        cls.subnet_prefix = "10.%d.%d." % (200 + os.getpid() % 50, octet)
        try:
            cls.cluster = Cluster(extra_args=(
                "--node-name", "pods-e2e", "--registry-config", registries,
                "--pod-cidr", cls.subnet_prefix + "0/24",
                "--bridge-name", "cape2e%d" % (os.getpid() % 100000)), agent=True)
        except Exception:
            # tearDownClass does not run when setUpClass fails: leave nothing behind.
            cls.registry.stop()
            shutil.rmtree(cls.tmp, ignore_errors=True)
            raise

    @classmethod
    def tearDownClass(cls):
        try:
            cls.cluster.kubectl("delete", "pods", "--all", "--wait=true", "--timeout=60s",
                                check=False, timeout=90)
        finally:
            log = cls.cluster.server_log()
            cls.cluster.stop()
            cls.registry.stop()
            subprocess.run(["ip", "link", "del", "cape2e%d" % (os.getpid() % 100000)],
                           capture_output=True)
            shutil.rmtree(cls.tmp, ignore_errors=True)
            if os.environ.get("CAPSTAN_E2E_LOG"):
                print(log)

    def pod(self, name):
        return json.loads(self.cluster.kubectl("get", "pod", name, "-o", "json"))

    def wait_phase(self, name, phases, timeout=90):
        last = {}

        def reached():
            nonlocal last
            last = self.pod(name)
            return last.get("status", {}).get("phase") in phases
        try:
            self.cluster.wait_for(reached, timeout=timeout, what=name + " in " + str(phases))
        except AssertionError:
            raise AssertionError("pod %s: %s\n%s" % (name, json.dumps(last.get("status")),
                                                     self.cluster.server_log()[-4000:]))
        return last

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
