"""End-to-end: the statefulset controller plugin (.so) inside a real `capstan server` (no agent),
driven by unmodified kubectl. A Node object lets the real scheduler bind the pods; the test
plays the kubelet: it marks bound pods Running+Ready through pods/status and finishes graceful
deletions with a forced delete."""
import json
import os
import sys
import threading
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from capstan_cluster import Cluster  # noqa: E402

NODE = """
apiVersion: v1
kind: Node
metadata:
  name: node-1
  labels: {kubernetes.io/hostname: node-1}
status:
  capacity: {cpu: "8", memory: 8Gi, pods: "110"}
  allocatable: {cpu: "8", memory: 8Gi, pods: "110"}
"""

WEB = """
apiVersion: v1
kind: Service
metadata: {name: nginx, labels: {app: nginx}}
spec:
  clusterIP: None
  selector: {app: nginx}
  ports: [{port: 80, name: web}]
---
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: web}
spec:
  serviceName: nginx
  replicas: 3
  selector: {matchLabels: {app: nginx}}
  template:
    metadata: {labels: {app: nginx}}
    spec:
      containers:
      - name: nginx
        image: nginx:1.25
        ports: [{containerPort: 80, name: web}]
        volumeMounts: [{name: www, mountPath: /usr/share/nginx/html}]
  volumeClaimTemplates:
  - metadata: {name: www}
    spec:
      accessModes: [ReadWriteOnce]
      resources: {requests: {storage: 1Gi}}
"""


class StatefulSetTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.c = Cluster()
        cls.c.kubectl("create", "-f", "-", input=NODE)

    @classmethod
    def tearDownClass(cls):
        cls.c.stop()

    def pod(self, name):
        r = self.c.kubectl("get", "pod", name, "-o", "json", "--ignore-not-found", check=False)
        return json.loads(r.stdout) if r.returncode == 0 and r.stdout.strip() else None

    def pods(self, selector):
        return json.loads(self.c.kubectl("get", "pods", "-l", selector, "-o", "json"))["items"]

    def terminating(self, name):
        p = self.pod(name)
        return p is not None and bool(p["metadata"].get("deletionTimestamp"))

    def set_ready(self, name):
        status = {"status": {"phase": "Running", "podIP": "10.0.0.1",
                             "conditions": [{"type": "Ready", "status": "True"}]}}
        self.c.kubectl("patch", "pod", name, "--subresource=status", "--type=merge",
                       "-p", json.dumps(status))

    def wait_bound(self, name):
        self.c.wait_for(lambda: (self.pod(name) or {}).get("spec", {}).get("nodeName"),
                        timeout=30, what="%s to be created and scheduled" % name)

    def finish_deletion(self, name):
        self.c.kubectl("delete", "pod", name, "--grace-period=0", "--force", "--wait=false",
                       check=False)
        self.c.wait_for(lambda: self.pod(name) is None, timeout=30, what="%s to go" % name)

    def kubelet(self, selector, stop):
        """Until `stop` is set: bound pods become ready, terminating pods go."""
        while not stop.wait(0.3):
            try:
                for p in self.pods(selector):
                    name = p["metadata"]["name"]
                    if p["metadata"].get("deletionTimestamp"):
                        # The controller may recreate the name at once: no waiting for "gone".
                        self.c.kubectl("delete", "pod", name, "--grace-period=0", "--force",
                                       "--wait=false", check=False)
                    elif p["spec"].get("nodeName") and not any(
                            c["type"] == "Ready" and c["status"] == "True"
                            for c in p.get("status", {}).get("conditions", [])):
                        self.set_ready(name)
            except (AssertionError, ValueError):
                pass  # a pod changed under us; the next round sees it

    def rollout(self, selector):
        stop = threading.Event()
        t = threading.Thread(target=self.kubelet, args=(selector, stop))
        t.start()
        try:
            out = self.c.kubectl("rollout", "status", "sts/web", "--timeout=90s", timeout=120)
        finally:
            stop.set()
            t.join()
        return out

    def images(self):
        return sorted((p["metadata"]["name"], p["spec"]["containers"][0]["image"])
                      for p in self.pods("app=nginx")
                      if not p["metadata"].get("deletionTimestamp"))

    def test_ordered_pods_with_claims_scale_down_rollout_and_undo(self):
        self.c.kubectl("apply", "-f", "-", input=WEB)
        # Ordered creation: web-1 only after web-0 is Ready.
        self.wait_bound("web-0")
        self.c.wait_for(lambda: json.loads(self.c.kubectl("get", "sts", "web", "-o", "json"))
                        .get("status", {}).get("replicas") == 1, timeout=30,
                        what="the status to count web-0")
        self.assertIsNone(self.pod("web-1"), "web-1 was created before web-0 was Ready")
        pod = self.pod("web-0")
        self.assertEqual(pod["spec"]["hostname"], "web-0")
        self.assertEqual(pod["spec"]["subdomain"], "nginx")
        labels = pod["metadata"]["labels"]
        self.assertEqual(labels["statefulset.kubernetes.io/pod-name"], "web-0")
        self.assertEqual(labels["apps.kubernetes.io/pod-index"], "0")
        self.assertTrue(labels["controller-revision-hash"].startswith("web-"))
        self.assertEqual(pod["metadata"]["ownerReferences"][0]["kind"], "StatefulSet")
        self.set_ready("web-0")
        self.wait_bound("web-1")
        self.assertIsNone(self.pod("web-2"))
        self.set_ready("web-1")
        self.wait_bound("web-2")
        self.set_ready("web-2")
        self.c.wait_for(lambda: "3/3" in self.c.kubectl("get", "sts", "web"), timeout=30,
                        what="web to be 3/3 ready")
        claims = json.loads(self.c.kubectl("get", "pvc", "-o", "json"))["items"]
        self.assertEqual(sorted(c["metadata"]["name"] for c in claims),
                         ["www-web-0", "www-web-1", "www-web-2"])
        volumes = self.pod("web-1")["spec"]["volumes"]
        self.assertIn({"name": "www", "persistentVolumeClaim": {"claimName": "www-web-1"}},
                      volumes)
        events = self.c.kubectl("get", "events", "--field-selector",
                                "involvedObject.name=web,reason=SuccessfulCreate")
        self.assertIn("create Pod web-0 in StatefulSet web successful", events)

        # Scale down: web-2 goes first, web-1 only once web-2 has terminated.
        self.c.kubectl("scale", "sts", "web", "--replicas=1")
        self.c.wait_for(lambda: self.terminating("web-2"), timeout=30, what="web-2 terminating")
        self.assertFalse(self.terminating("web-1"), "web-1 went before web-2 terminated")
        self.finish_deletion("web-2")
        self.c.wait_for(lambda: self.terminating("web-1"), timeout=30, what="web-1 terminating")
        self.finish_deletion("web-1")
        self.assertIsNotNone(self.pod("web-0"))
        self.assertEqual(len(json.loads(self.c.kubectl("get", "pvc", "-o", "json"))["items"]), 3,
                         "claims are retained on scale down by default")

        # Rolling update to a new image, then back with rollout undo.
        self.c.kubectl("scale", "sts", "web", "--replicas=2")
        # kubectl reads the defaulted partition 0 as a partitioned roll out, as upstream.
        out = self.rollout("app=nginx")
        self.assertIn("roll out complete: 2 new pods have been updated", out)
        self.c.kubectl("set", "image", "sts/web", "nginx=nginx:1.26")
        out = self.rollout("app=nginx")
        self.assertIn("roll out complete: 2 new pods have been updated", out)
        self.assertEqual(self.images(), [("web-0", "nginx:1.26"), ("web-1", "nginx:1.26")])
        history = self.c.kubectl("rollout", "history", "sts/web")
        self.assertRegex(history, r"(?m)^1\s")
        self.assertRegex(history, r"(?m)^2\s")
        self.c.kubectl("rollout", "undo", "sts/web")
        out = self.rollout("app=nginx")
        self.assertIn("roll out complete: 2 new pods have been updated", out)
        self.assertEqual(self.images(), [("web-0", "nginx:1.25"), ("web-1", "nginx:1.25")])
        history = self.c.kubectl("rollout", "history", "sts/web")
        self.assertRegex(history, r"(?m)^3\s", "the undone revision takes the next number")
        self.assertNotRegex(history, r"(?m)^1\s")


if __name__ == "__main__":
    unittest.main()
