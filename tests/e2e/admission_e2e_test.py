"""End-to-end: the default admission chain (priority, default-toleration-seconds .so plugins)
of a real `capstan server`, seen through unmodified kubectl."""
import json
import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from capstan_cluster import ClusterTestCase  # noqa: E402

POD = """
apiVersion: v1
kind: Pod
metadata: {name: %s}
spec:
  %s
  containers: [{name: c, image: busybox}]
"""


class AdmissionTest(ClusterTestCase):
    def pod(self, name):
        return json.loads(self.c.kubectl("get", "pod", name, "-o", "json"))

    def test_server_creates_the_system_priority_classes(self):
        out = self.c.kubectl("get", "priorityclasses")
        self.assertRegex(out, r"system-cluster-critical\s+2000000000\s+false")
        self.assertRegex(out, r"system-node-critical\s+2000001000\s+false")

    def test_priority_class_name_resolves_into_pod_priority(self):
        self.c.kubectl("create", "-f", "-", input="""
apiVersion: scheduling.k8s.io/v1
kind: PriorityClass
metadata: {name: high}
value: 1000
preemptionPolicy: Never
""")
        self.c.kubectl("create", "-f", "-", input=POD % ("prio", "priorityClassName: high"))
        spec = self.pod("prio")["spec"]
        self.assertEqual(spec["priority"], 1000)
        self.assertEqual(spec["preemptionPolicy"], "Never")

    def test_pod_without_class_gets_priority_zero(self):
        self.c.kubectl("create", "-f", "-", input=POD % ("plain", ""))
        spec = self.pod("plain")["spec"]
        self.assertEqual(spec["priority"], 0)
        self.assertEqual(spec["preemptionPolicy"], "PreemptLowerPriority")

    def test_unknown_priority_class_is_forbidden_with_the_upstream_message(self):
        r = self.c.kubectl("create", "-f", "-", input=POD % ("lost", "priorityClassName: nope"),
                           check=False)
        self.assertNotEqual(r.returncode, 0)
        self.assertIn('Error from server (Forbidden): error when creating "STDIN": pods "lost" '
                      'is forbidden: no PriorityClass with name nope was found', r.stderr)
        r = self.c.kubectl("get", "pod", "lost", check=False)
        self.assertIn("NotFound", r.stderr)

    def test_second_global_default_class_is_refused(self):
        self.c.kubectl("create", "-f", "-", input="""
apiVersion: scheduling.k8s.io/v1
kind: PriorityClass
metadata: {name: first-default}
value: 5
globalDefault: true
""")
        r = self.c.kubectl("create", "-f", "-", check=False, input="""
apiVersion: scheduling.k8s.io/v1
kind: PriorityClass
metadata: {name: second-default}
value: 6
globalDefault: true
""")
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("PriorityClass first-default is already marked as default. "
                      "Only one default can exist", r.stderr)
        # New pods without a class now get the default class's priority.
        self.c.kubectl("create", "-f", "-", input=POD % ("defaulted", ""))
        spec = self.pod("defaulted")["spec"]
        self.assertEqual(spec["priorityClassName"], "first-default")
        self.assertEqual(spec["priority"], 5)
        self.c.kubectl("delete", "priorityclass", "first-default")

    def test_new_pods_tolerate_not_ready_and_unreachable_for_five_minutes(self):
        self.c.kubectl("create", "-f", "-", input=POD % ("tolerant", ""))
        tolerations = self.pod("tolerant")["spec"]["tolerations"]
        self.assertIn({"key": "node.kubernetes.io/not-ready", "operator": "Exists",
                       "effect": "NoExecute", "tolerationSeconds": 300}, tolerations)
        self.assertIn({"key": "node.kubernetes.io/unreachable", "operator": "Exists",
                       "effect": "NoExecute", "tolerationSeconds": 300}, tolerations)


if __name__ == "__main__":
    unittest.main()
