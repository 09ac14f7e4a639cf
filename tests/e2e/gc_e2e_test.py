"""End-to-end: cascading deletion (garbage-collector plugin), namespace deletion (namespace
plugin and the API server's namespace lifecycle) and Jobs (job plugin) inside a real
`capstan server`, driven by unmodified kubectl. No nodes or agents: pods stay Pending, and the
Job tests play the kubelet by PATCHing pod status through kubectl --subresource=status."""
import json
import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from capstan_cluster import Cluster  # noqa: E402

CRD = """
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: gadgets.example.com
spec:
  group: example.com
  scope: Namespaced
  names: {plural: gadgets, singular: gadget, kind: Gadget}
  versions:
  - name: v1
    served: true
    storage: true
    schema:
      openAPIV3Schema:
        type: object
        x-kubernetes-preserve-unknown-fields: true
"""


class GarbageCollectionTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.c = Cluster(["--disable-agent"])

    @classmethod
    def tearDownClass(cls):
        cls.c.stop()

    def items(self, *args):
        return json.loads(self.c.kubectl("get", *args, "-o", "json"))["items"]

    def live(self, *args):
        return [o for o in self.items(*args) if not o["metadata"].get("deletionTimestamp")]

    def deployment_with_pods(self, name, replicas=2):
        self.c.kubectl("create", "deployment", name, "--image=nginx:1.25",
                       "--replicas=%d" % replicas)
        self.c.wait_for(lambda: len(self.live("pods", "-l", "app=" + name)) == replicas,
                        timeout=30, what=name + " pods")
        self.assertEqual(len(self.items("rs", "-l", "app=" + name)), 1)

    def test_deleting_a_deployment_removes_its_replicasets_and_pods(self):
        self.deployment_with_pods("bg")
        self.c.kubectl("delete", "deployment", "bg")
        self.c.wait_for(lambda: not self.items("rs", "-l", "app=bg"), timeout=30,
                        what="the ReplicaSet to be collected")
        self.c.wait_for(lambda: not self.items("pods", "-l", "app=bg"), timeout=30,
                        what="the pods to be collected")

    def test_orphan_cascade_leaves_pods_without_owner_references(self):
        self.deployment_with_pods("orph")
        self.c.kubectl("delete", "deployment", "orph", "--cascade=orphan")
        rs = self.items("rs", "-l", "app=orph")
        self.assertEqual(len(rs), 1)
        self.c.wait_for(lambda: not self.items("rs", "-l", "app=orph")[0]["metadata"].get(
            "ownerReferences"), timeout=30, what="the ReplicaSet to be orphaned")
        self.c.kubectl("delete", "rs", rs[0]["metadata"]["name"], "--cascade=orphan")
        self.assertEqual(self.items("rs", "-l", "app=orph"), [])
        pods = self.items("pods", "-l", "app=orph")
        self.assertEqual(len(pods), 2)
        for p in pods:
            self.assertNotIn("ownerReferences", p["metadata"])
        self.c.kubectl("delete", "pods", "-l", "app=orph")

    def test_foreground_cascade_returns_after_the_dependents_are_gone(self):
        self.deployment_with_pods("fg", replicas=3)
        # kubectl waits for the Deployment itself, which goes only after its dependents.
        self.c.kubectl("delete", "deployment", "fg", "--cascade=foreground", timeout=60)
        self.assertEqual(self.items("rs", "-l", "app=fg"), [])
        self.assertEqual(self.items("pods", "-l", "app=fg"), [])

    def test_deleting_a_namespace_removes_its_content_and_then_the_namespace(self):
        self.c.kubectl("apply", "-f", "-", input=CRD)
        self.c.wait_for(lambda: "gadgets" in self.c.kubectl("api-resources", "--api-group",
                                                              "example.com"),
                        timeout=30, what="the CRD to be served")
        self.c.kubectl("create", "namespace", "doomed")
        self.c.kubectl("-n", "doomed", "create", "configmap", "cfg", "--from-literal=a=b")
        self.c.kubectl("-n", "doomed", "run", "lonely", "--image=nginx:1.25")
        self.c.kubectl("-n", "doomed", "apply", "-f", "-", input=(
            "apiVersion: example.com/v1\nkind: Gadget\nmetadata: {name: g1}\nspec: {size: 1}\n"))
        self.c.kubectl("-n", "doomed", "create", "deployment", "inner", "--image=nginx:1.25")
        self.c.kubectl("delete", "namespace", "doomed", timeout=90)
        r = self.c.kubectl("get", "namespace", "doomed", check=False)
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("NotFound", r.stderr)
        for kind in ("pods", "configmaps", "gadgets", "deployments", "replicasets"):
            self.assertEqual(self.items(kind, "-n", "doomed"), [], kind)

    def test_creating_in_a_terminating_namespace_is_forbidden(self):
        self.c.kubectl("create", "namespace", "held")
        self.c.kubectl("-n", "held", "apply", "-f", "-", input=(
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: keep\n"
            "  finalizers: [example.com/hold]\n"))
        self.c.kubectl("delete", "namespace", "held", "--wait=false")
        ns = json.loads(self.c.kubectl("get", "namespace", "held", "-o", "json"))
        self.assertEqual(ns["status"]["phase"], "Terminating")
        self.c.wait_for(lambda: any(
            c["type"] == "NamespaceFinalizersRemaining" and c["status"] == "True"
            for c in json.loads(self.c.kubectl("get", "namespace", "held", "-o", "json"))
            ["status"].get("conditions", [])), timeout=30, what="the finalizers condition")
        r = self.c.kubectl("-n", "held", "create", "configmap", "late", check=False)
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("unable to create new content in namespace held because it is being "
                      "terminated", r.stderr)
        self.c.kubectl("-n", "held", "patch", "configmap", "keep", "--type=merge",
                       "-p", '{"metadata":{"finalizers":null}}')
        self.c.wait_for(lambda: self.c.kubectl("get", "namespace", "held",
                                               check=False).returncode != 0,
                        timeout=30, what="the namespace to go")

    def job_pods(self, job, phase=None):
        pods = self.live("pods", "-l", "batch.kubernetes.io/job-name=" + job)
        return [p for p in pods if phase is None or p.get("status", {}).get("phase") == phase]

    def finish_pod(self, name, phase):
        self.c.kubectl("patch", "pod", name, "--subresource=status", "--type=merge",
                       "-p", json.dumps({"status": {"phase": phase}}))

    def conditions(self, job):
        j = json.loads(self.c.kubectl("get", "job", job, "-o", "json"))
        return {c["type"]: c for c in j.get("status", {}).get("conditions", [])
                if c["status"] == "True"}, j

    def test_job_completes_when_its_pods_succeed(self):
        self.c.kubectl("create", "job", "ok", "--image=busybox:1.36", "--", "true")
        self.c.wait_for(lambda: len(self.job_pods("ok", "Pending")) == 1, timeout=30,
                        what="the job's pod")
        pod = self.job_pods("ok")[0]
        ref = pod["metadata"]["ownerReferences"][0]
        self.assertEqual((ref["kind"], ref["name"], ref["controller"]), ("Job", "ok", True))
        self.assertIn("controller-uid", pod["metadata"]["labels"])
        self.finish_pod(pod["metadata"]["name"], "Succeeded")
        self.c.kubectl("wait", "--for=condition=complete", "job/ok", "--timeout=30s", timeout=40)
        conds, job = self.conditions("ok")
        self.assertIn("SuccessCriteriaMet", conds)
        self.assertEqual(job["status"]["succeeded"], 1)
        self.assertIn("completionTime", job["status"])
        self.assertIn("startTime", job["status"])

    def test_job_fails_after_backoff_limit(self):
        self.c.kubectl("apply", "-f", "-", input="""
apiVersion: batch/v1
kind: Job
metadata: {name: flaky}
spec:
  backoffLimit: 1
  template:
    spec:
      restartPolicy: Never
      containers: [{name: c, image: busybox:1.36, command: ["false"]}]
""")
        failed = set()
        for _ in range(2):
            self.c.wait_for(lambda: [p for p in self.job_pods("flaky", "Pending")
                                     if p["metadata"]["name"] not in failed],
                            timeout=30, what="a new pod of the flaky job")
            pod = [p for p in self.job_pods("flaky", "Pending")
                   if p["metadata"]["name"] not in failed][0]["metadata"]["name"]
            self.finish_pod(pod, "Failed")
            failed.add(pod)
        self.c.kubectl("wait", "--for=condition=failed", "job/flaky", "--timeout=30s",
                       timeout=40)
        conds, job = self.conditions("flaky")
        self.assertEqual(conds["Failed"]["reason"], "BackoffLimitExceeded")
        self.assertIn("FailureTarget", conds)
        self.assertEqual(job["status"]["failed"], 2)
        self.assertEqual(job["status"].get("active", 0), 0)
        # Deleting the Job collects its pods (background cascade).
        self.c.kubectl("delete", "job", "flaky")
        self.c.wait_for(lambda: not self.items("pods", "-l", "batch.kubernetes.io/job-name=flaky"),
                        timeout=30, what="the job's pods to be collected")


if __name__ == "__main__":
    unittest.main()
