"""End-to-end: the DaemonSet controller plugin inside a real `capstan server`, driven by
unmodified kubectl. Nodes are plain Node objects (no agents); the real scheduler binds the daemon
pods, and the test marks them Ready through the status subresource as a kubelet would."""
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
  name: %(name)s
  labels: {kubernetes.io/hostname: %(name)s, role: %(role)s}
spec:
  taints: %(taints)s
status:
  capacity: {cpu: "2", memory: 4Gi, pods: "110"}
  allocatable: {cpu: "2", memory: 4Gi, pods: "110"}
"""

DAEMONSET = """
apiVersion: apps/v1
kind: DaemonSet
metadata: {name: agent}
spec:
  selector: {matchLabels: {app: agent}}
  updateStrategy: {type: RollingUpdate, rollingUpdate: {maxUnavailable: 1}}
  template:
    metadata: {labels: {app: agent}}
    spec:
      nodeSelector: {role: worker}
      terminationGracePeriodSeconds: 0
      containers:
      - name: c
        image: busybox:1
        resources: {requests: {cpu: 10m}}
"""


class Kubelet(threading.Thread):
    """Marks every pod of the DaemonSet Running and Ready until stopped (no agents run)."""

    def __init__(self, cluster):
        super().__init__(daemon=True)
        self.c = cluster
        self.done = threading.Event()

    def run(self):
        ready = {"status": {"phase": "Running",
                            "conditions": [{"type": "Ready", "status": "True"}]}}
        while not self.done.wait(0.2):
            r = self.c.kubectl("get", "pods", "-l", "app=agent", "-o", "json", check=False)
            if r.returncode != 0:
                continue
            for pod in json.loads(r.stdout)["items"]:
                conds = pod.get("status", {}).get("conditions", [])
                if any(c["type"] == "Ready" and c["status"] == "True" for c in conds):
                    continue
                self.c.kubectl("patch", "pod", pod["metadata"]["name"], "--subresource=status",
                               "--type=merge", "-p", json.dumps(ready), check=False)

    def stop(self):
        self.done.set()
        self.join(timeout=10)


class DaemonSetTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.c = Cluster()
        tainted = "[{key: dedicated, value: db, effect: NoSchedule}]"
        for name, role, taints in [("w1", "worker", "[]"), ("w2", "worker", "[]"),
                                   ("w3", "worker", tainted), ("o1", "other", "[]")]:
            cls.c.kubectl("create", "-f", "-",
                          input=NODE % dict(name=name, role=role, taints=taints))

    @classmethod
    def tearDownClass(cls):
        cls.c.stop()

    def pods(self):
        out = self.c.kubectl("get", "pods", "-l", "app=agent", "-o", "json")
        return [p for p in json.loads(out)["items"]
                if not p["metadata"].get("deletionTimestamp")]

    def images_by_node(self):
        return {p["spec"].get("nodeName"): p["spec"]["containers"][0]["image"]
                for p in self.pods()}

    def rollout_status(self):
        out = self.c.kubectl("rollout", "status", "ds/agent", "--timeout=90s", timeout=120)
        self.assertIn('daemon set "agent" successfully rolled out', out)

    def test_daemonset_rolls_out_updates_and_undoes_with_kubectl(self):
        self.c.kubectl("apply", "-f", "-", input=DAEMONSET)
        # One pod per eligible node, bound there by the scheduler: not on the tainted or the
        # non-matching node.
        self.c.wait_for(lambda: sorted(self.images_by_node()) == ["w1", "w2"], timeout=30,
                        what="daemon pods bound to w1 and w2: %s" % self.images_by_node())
        kubelet = Kubelet(self.c)
        kubelet.start()
        try:
            self.rollout_status()
            ds = json.loads(self.c.kubectl("get", "ds", "agent", "-o", "json"))
            self.assertEqual(ds["status"]["desiredNumberScheduled"], 2)
            self.assertEqual(ds["status"]["numberAvailable"], 2)
            self.assertIn("agent", self.c.kubectl("get", "ds"))

            self.c.kubectl("set", "image", "ds/agent", "c=busybox:2")
            self.rollout_status()
            self.c.wait_for(lambda: self.images_by_node() == {"w1": "busybox:2",
                                                              "w2": "busybox:2"},
                            timeout=30, what="updated pods: %s" % self.images_by_node())
            history = self.c.kubectl("rollout", "history", "ds/agent")
            self.assertRegex(history, r"(?m)^1\s")
            self.assertRegex(history, r"(?m)^2\s")
            self.assertIn("busybox:2",
                          self.c.kubectl("rollout", "history", "ds/agent", "--revision=2"))

            out = self.c.kubectl("rollout", "undo", "ds/agent")
            self.assertIn("rolled back", out)
            self.rollout_status()
            self.c.wait_for(lambda: self.images_by_node() == {"w1": "busybox:1",
                                                              "w2": "busybox:1"},
                            timeout=30, what="rolled-back pods: %s" % self.images_by_node())
            # Revision 1's template became current again, renumbered 3.
            self.c.wait_for(lambda: "3" in self.revisions(), timeout=20, what="revision 3")
            self.assertEqual(sorted(self.revisions()), ["2", "3"])
        finally:
            kubelet.stop()
        events = self.c.kubectl("get", "events", "--field-selector",
                                "involvedObject.name=agent", "-o", "json")
        reasons = {e["reason"] for e in json.loads(events)["items"]}
        self.assertIn("SuccessfulCreate", reasons)
        self.assertIn("SuccessfulDelete", reasons)

    def revisions(self):
        out = self.c.kubectl("get", "controllerrevisions", "-l", "app=agent", "-o", "json")
        return [str(r["revision"]) for r in json.loads(out)["items"]]


if __name__ == "__main__":
    unittest.main()
