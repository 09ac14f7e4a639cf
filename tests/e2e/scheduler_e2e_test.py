"""End-to-end: the scheduler inside a real `capstan server` with the default sched plugins
(.so), driven by unmodified kubectl. Nodes are registered as plain Node objects (no agents)."""
import json
import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from capstan_cluster import Cluster  # noqa: E402

NODE = """
apiVersion: v1
kind: Node
metadata:
  name: %(name)s
  labels: {kubernetes.io/hostname: %(name)s, zone: %(zone)s, disk: %(disk)s}
status:
  capacity: {cpu: "%(cpu)s", memory: 4Gi, pods: "110"}
  allocatable: {cpu: "%(cpu)s", memory: 4Gi, pods: "110"}
"""


def pod(name, spec_extra="", labels="{app: %s}", cpu="100m"):
    return """
apiVersion: v1
kind: Pod
metadata: {name: %s, labels: %s}
spec:
%s
  containers:
  - name: c
    image: busybox
    resources: {requests: {cpu: %s}}
""" % (name, labels % name if "%s" in labels else labels, spec_extra, cpu)


class SchedulerTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.c = Cluster(["--disable-agent"])
        for name, zone, disk, cpu in [("n1", "a", "ssd", "2"), ("n2", "b", "hdd", "2"),
                                      ("n3", "c", "hdd", "2")]:
            cls.c.kubectl("create", "-f", "-", input=NODE % dict(name=name, zone=zone, disk=disk,
                                                                 cpu=cpu))

    @classmethod
    def tearDownClass(cls):
        cls.c.stop()

    def get(self, kind, name):
        return json.loads(self.c.kubectl("get", kind, name, "-o", "json"))

    def node_of(self, name, timeout=20):
        self.c.wait_for(lambda: self.get("pod", name)["spec"].get("nodeName"), timeout=timeout,
                        what="pod %s to be scheduled" % name)
        return self.get("pod", name)["spec"]["nodeName"]

    def events_for(self, name):
        out = self.c.kubectl("get", "events", "--field-selector",
                             "involvedObject.name=" + name, "-o", "json")
        return json.loads(out)["items"]

    def test_node_selector_picks_only_matching_nodes(self):
        self.c.kubectl("create", "-f", "-", input=pod("ssd-pod", "  nodeSelector: {disk: ssd}"))
        self.assertEqual(self.node_of("ssd-pod"), "n1")
        self.c.wait_for(lambda: any(e["reason"] == "Scheduled" for e in self.events_for("ssd-pod")),
                        what="Scheduled event")
        scheduled = [e for e in self.events_for("ssd-pod") if e["reason"] == "Scheduled"][0]
        self.assertEqual(scheduled["message"], "Successfully assigned default/ssd-pod to n1")
        self.assertIn("n1", self.c.kubectl("get", "pod", "ssd-pod", "-o", "wide"))
        # As upstream, the binding is written straight to the pod: no managedFields entry.
        managed = self.get("pod", "ssd-pod")["metadata"].get("managedFields", [])
        self.assertEqual([m for m in managed if m.get("subresource") == "binding"], [], managed)

    def test_cordon_and_taint_keep_pods_away_and_tolerations_let_them_in(self):
        self.c.kubectl("cordon", "n2")
        self.c.kubectl("taint", "nodes", "n3", "dedicated=db:NoSchedule")
        try:
            self.c.kubectl("create", "-f", "-",
                           input=pod("away", "  nodeSelector: {disk: hdd}"))
            self.c.wait_for(lambda: any(e["reason"] == "FailedScheduling"
                                        for e in self.events_for("away")),
                            what="FailedScheduling event")
            msg = [e for e in self.events_for("away") if e["reason"] == "FailedScheduling"][0]
            self.assertIn("0/3 nodes are available:", msg["message"])
            self.assertIn("1 node(s) had untolerated taint {dedicated: db}", msg["message"])
            self.assertIn("1 node(s) were unschedulable", msg["message"])
            self.assertIn("1 node(s) didn't match Pod's node affinity/selector", msg["message"])
            cond = [c for c in self.get("pod", "away")["status"]["conditions"]
                    if c["type"] == "PodScheduled"][0]
            self.assertEqual((cond["status"], cond["reason"]), ("False", "Unschedulable"))
            self.c.kubectl("create", "-f", "-", input=pod("tolerant", """  nodeSelector: {disk: hdd}
  tolerations: [{key: dedicated, operator: Equal, value: db, effect: NoSchedule}]"""))
            self.assertEqual(self.node_of("tolerant"), "n3")
            self.c.kubectl("uncordon", "n2")
            self.assertEqual(self.node_of("away"), "n2")
        finally:
            self.c.kubectl("uncordon", "n2")
            self.c.kubectl("taint", "nodes", "n3", "dedicated=db:NoSchedule-")

    def test_required_anti_affinity_spreads_replicas(self):
        # Only the three original nodes (other tests add more).
        anti = """  affinity:
    nodeAffinity:
      requiredDuringSchedulingIgnoredDuringExecution:
        nodeSelectorTerms:
        - matchExpressions: [{key: zone, operator: In, values: [a, b, c]}]
    podAntiAffinity:
      requiredDuringSchedulingIgnoredDuringExecution:
      - labelSelector: {matchLabels: {role: spread}}
        topologyKey: kubernetes.io/hostname"""
        nodes = set()
        for i in range(3):
            self.c.kubectl("create", "-f", "-",
                           input=pod("spread-%d" % i, anti, labels="{role: spread}"))
            nodes.add(self.node_of("spread-%d" % i))
        self.assertEqual(nodes, {"n1", "n2", "n3"})
        self.c.kubectl("create", "-f", "-", input=pod("spread-3", anti, labels="{role: spread}"))
        self.c.wait_for(lambda: any("didn't match pod anti-affinity rules" in e["message"]
                                    for e in self.events_for("spread-3")),
                        what="anti-affinity FailedScheduling")
        self.c.kubectl("delete", "pod", "spread-3", "--wait=false")

    def test_too_large_pod_waits_for_a_large_enough_node(self):
        self.c.kubectl("create", "-f", "-", input=pod("big", cpu="8"))
        self.c.wait_for(lambda: any(e["reason"] == "FailedScheduling"
                                    for e in self.events_for("big")),
                        what="FailedScheduling event")
        msg = [e for e in self.events_for("big") if e["reason"] == "FailedScheduling"][0]
        # Other tests may have added nodes; every one of them is too small.
        self.assertRegex(msg["message"], r"^0/(\d+) nodes are available: \1 Insufficient cpu\.")
        self.c.kubectl("create", "-f", "-", input=NODE % dict(name="big-node", zone="d",
                                                             disk="ssd", cpu="16"))
        self.assertEqual(self.node_of("big", timeout=60), "big-node")

    def test_high_priority_pod_preempts_a_low_priority_one(self):
        self.c.kubectl("create", "-f", "-", input="""
apiVersion: scheduling.k8s.io/v1
kind: PriorityClass
metadata: {name: urgent}
value: 100000
""")
        self.c.kubectl("create", "-f", "-", input=NODE % dict(name="tiny", zone="e",
                                                             disk="tiny", cpu="1"))
        self.c.kubectl("create", "-f", "-",
                       input=pod("victim", "  nodeSelector: {disk: tiny}", cpu="800m"))
        self.assertEqual(self.node_of("victim"), "tiny")
        self.c.kubectl("create", "-f", "-", input=pod(
            "vip", "  nodeSelector: {disk: tiny}\n  priorityClassName: urgent", cpu="800m"))
        # The victim is deleted gracefully; without an agent nothing confirms its termination,
        # so finish the deletion as a kubelet would.
        self.c.wait_for(lambda: self.c.kubectl("get", "pod", "victim", check=False).returncode
                        != 0 or self.get("pod", "victim")["metadata"].get("deletionTimestamp"),
                        what="victim deletion")
        self.c.kubectl("delete", "pod", "victim", "--grace-period=0", "--force", check=False)
        self.assertEqual(self.node_of("vip", timeout=60), "tiny")


if __name__ == "__main__":
    unittest.main()
