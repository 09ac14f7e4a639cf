"""End-to-end: the controller host inside a real `capstan server` with the default replicaset
and deployment controller plugins (.so), driven by unmodified kubectl. No nodes or agents: the
pods stay Pending, which is all these workflows need."""
import json
import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from capstan_cluster import Cluster  # noqa: E402


class ControllersTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.c = Cluster(["--disable-agent"])

    @classmethod
    def tearDownClass(cls):
        cls.c.stop()

    def pods(self, selector):
        out = self.c.kubectl("get", "pods", "-l", selector, "-o", "json")
        return [p for p in json.loads(out)["items"]
                if not p["metadata"].get("deletionTimestamp")]

    def wait_pods(self, selector, count, what):
        self.c.wait_for(lambda: len(self.pods(selector)) == count, timeout=30, what=what)
        return self.pods(selector)

    def test_deployment_creates_replicas_replaces_deleted_pods_and_scales(self):
        self.c.kubectl("create", "deployment", "web", "--image=nginx:1.25", "--replicas=3")
        pods = self.wait_pods("app=web", 3, "3 web pods")
        rs = json.loads(self.c.kubectl("get", "rs", "-l", "app=web", "-o", "json"))["items"]
        self.assertEqual(len(rs), 1)
        rs_name = rs[0]["metadata"]["name"]
        self.assertTrue(rs_name.startswith("web-"))
        self.assertEqual(rs[0]["metadata"]["ownerReferences"][0]["kind"], "Deployment")
        for p in pods:
            ref = p["metadata"]["ownerReferences"][0]
            self.assertEqual((ref["kind"], ref["name"], ref["controller"]),
                             ("ReplicaSet", rs_name, True))
            self.assertTrue(p["metadata"]["name"].startswith(rs_name + "-"))
        victim = pods[0]["metadata"]["name"]
        self.c.kubectl("delete", "pod", victim, "--wait=false")
        self.c.wait_for(lambda: len(self.pods("app=web")) == 3 and victim not in
                        [p["metadata"]["name"] for p in self.pods("app=web")],
                        timeout=30, what="the deleted pod to be replaced")
        self.c.kubectl("scale", "deployment", "web", "--replicas=1")
        self.wait_pods("app=web", 1, "scale down to 1")
        self.assertRegex(self.c.kubectl("get", "rs", rs_name), rs_name + r"\s+1\s+1\s+0")

    def test_set_image_rolls_out_a_new_revision_and_undo_goes_back(self):
        self.c.kubectl("create", "deployment", "roll", "--image=nginx:1.25", "--replicas=2")
        self.wait_pods("app=roll", 2, "2 roll pods")
        self.c.kubectl("set", "image", "deployment/roll", "nginx=nginx:1.26")
        self.c.wait_for(lambda: len(json.loads(self.c.kubectl(
            "get", "rs", "-l", "app=roll", "-o", "json"))["items"]) == 2,
            timeout=30, what="a second ReplicaSet")
        history = self.c.kubectl("rollout", "history", "deployment/roll")
        self.assertRegex(history, r"(?m)^1\s")
        self.assertRegex(history, r"(?m)^2\s")
        self.c.kubectl("rollout", "undo", "deployment/roll")
        dep = json.loads(self.c.kubectl("get", "deployment", "roll", "-o", "json"))
        self.assertEqual(dep["spec"]["template"]["spec"]["containers"][0]["image"], "nginx:1.25")
        self.c.wait_for(lambda: json.loads(self.c.kubectl(
            "get", "deployment", "roll", "-o", "json"))["metadata"]["annotations"].get(
            "deployment.kubernetes.io/revision") == "3", timeout=30, what="revision 3")

    def test_replicaset_with_match_expressions_adopts_and_fills_up(self):
        self.c.kubectl("create", "-f", "-", input="""
apiVersion: v1
kind: Pod
metadata: {name: orphan, labels: {tier: cache, env: prod}}
spec: {containers: [{name: c, image: busybox}]}
""")
        self.c.kubectl("create", "-f", "-", input="""
apiVersion: apps/v1
kind: ReplicaSet
metadata: {name: cache}
spec:
  replicas: 2
  selector:
    matchExpressions:
    - {key: tier, operator: In, values: [cache]}
    - {key: env, operator: NotIn, values: [dev]}
  template:
    metadata: {labels: {tier: cache, env: prod}}
    spec: {containers: [{name: c, image: busybox}]}
""")
        pods = self.wait_pods("tier=cache", 2, "2 cache pods")
        self.assertIn("orphan", [p["metadata"]["name"] for p in pods])
        self.c.wait_for(lambda: json.loads(self.c.kubectl("get", "pod", "orphan", "-o", "json"))
                        ["metadata"].get("ownerReferences", [{}])[0].get("name") == "cache",
                        timeout=30, what="the orphan to be adopted")


if __name__ == "__main__":
    unittest.main()
