"""End-to-end: a resource served in two versions and stored in one (autoscaling
HorizontalPodAutoscaler, v1 and v2) reads and writes in each client's own version through a
real `capstan server`: a v1 object created from a v1 manifest reads as v2 with a CPU metric,
a v2 object reads back as v1 with targetCPUUtilizationPercentage and the v2-only fields in
annotations, updates, lists and watches through v1 carry v1 objects.
"""
import json
import unittest

from capstan_cluster import ClusterTestCase

V1 = "/apis/autoscaling/v1/namespaces/default/horizontalpodautoscalers"
V2 = "/apis/autoscaling/v2/namespaces/default/horizontalpodautoscalers"

V1_HPA = """apiVersion: autoscaling/v1
kind: HorizontalPodAutoscaler
metadata: {name: old}
spec:
  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: old}
  minReplicas: 1
  maxReplicas: 5
  targetCPUUtilizationPercentage: 60
"""

V2_HPA = """apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata: {name: new}
spec:
  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: new}
  maxReplicas: 7
  metrics:
  - type: Resource
    resource: {name: memory, target: {type: AverageValue, averageValue: 100Mi}}
  - type: Resource
    resource: {name: cpu, target: {type: Utilization, averageUtilization: 55}}
  behavior:
    scaleDown: {stabilizationWindowSeconds: 30}
"""


class ApiVersionsTest(ClusterTestCase):
    def raw(self, path):
        return json.loads(self.c.kubectl("get", "--raw", path))

    def test_a_v1_object_reads_as_v2_with_a_cpu_metric(self):
        self.c.kubectl("create", "-f", "-", input=V1_HPA)  # the manifest's version: v1
        v2 = self.raw(V2 + "/old")
        self.assertEqual(v2["apiVersion"], "autoscaling/v2")
        self.assertEqual(v2["spec"]["metrics"], [{
            "type": "Resource",
            "resource": {"name": "cpu",
                         "target": {"type": "Utilization", "averageUtilization": 60}}}])
        self.assertNotIn("targetCPUUtilizationPercentage", v2["spec"])
        self.assertIn("cpu: <unknown>/60%", self.c.kubectl("get", "hpa", "old"))

    def test_a_v2_object_reads_updates_lists_and_watches_as_v1(self):
        self.c.kubectl("apply", "-f", "-", input=V2_HPA)
        v1 = self.raw(V1 + "/new")
        self.assertEqual(v1["apiVersion"], "autoscaling/v1")
        self.assertEqual(v1["spec"]["targetCPUUtilizationPercentage"], 55)
        self.assertNotIn("metrics", v1["spec"])
        annotations = v1["metadata"]["annotations"]
        self.assertEqual(json.loads(annotations["autoscaling.alpha.kubernetes.io/metrics"]),
                         [{"type": "Resource",
                           "resource": {"name": "memory", "target": {
                               "type": "AverageValue", "averageValue": "100Mi"}}}])
        self.assertIn("autoscaling.alpha.kubernetes.io/behavior", annotations)

        # An update through v1 changes the CPU target and keeps what v1 carried in annotations.
        v1["spec"]["targetCPUUtilizationPercentage"] = 65
        v1["spec"]["maxReplicas"] = 8
        del v1["status"]
        updated = json.loads(self.c.kubectl("replace", "--raw", V1 + "/new", "-f", "-",
                                            input=json.dumps(v1)))
        self.assertEqual(updated["apiVersion"], "autoscaling/v1")
        self.assertEqual(updated["spec"]["targetCPUUtilizationPercentage"], 65)
        v2 = self.raw(V2 + "/new")
        self.assertEqual(v2["spec"]["maxReplicas"], 8)
        metrics = {m["resource"]["name"]: m["resource"]["target"] for m in v2["spec"]["metrics"]}
        self.assertEqual(metrics["cpu"], {"type": "Utilization", "averageUtilization": 65})
        self.assertEqual(metrics["memory"]["averageValue"], "100Mi")
        self.assertEqual(v2["spec"]["behavior"]["scaleDown"]["stabilizationWindowSeconds"], 30)
        self.assertNotIn("autoscaling.alpha.kubernetes.io/metrics",
                         v2["metadata"].get("annotations", {}))

        listed = self.raw(V1)
        self.assertEqual(listed["apiVersion"], "autoscaling/v1")
        item = next(i for i in listed["items"] if i["metadata"]["name"] == "new")
        self.assertEqual(item["apiVersion"], "autoscaling/v1")
        self.assertEqual(item["spec"]["targetCPUUtilizationPercentage"], 65)

        watched = self.c.kubectl("get", "--raw", V1 + "?watch=1&timeoutSeconds=1"
                                 "&fieldSelector=metadata.name%3Dnew")
        event = json.loads(watched.splitlines()[0])
        self.assertEqual(event["object"]["apiVersion"], "autoscaling/v1")
        self.assertEqual(event["object"]["spec"]["targetCPUUtilizationPercentage"], 65)

    def test_a_malformed_conversion_annotation_is_rejected_as_invalid(self):
        body = {"apiVersion": "autoscaling/v1", "kind": "HorizontalPodAutoscaler",
                "metadata": {"name": "bad", "annotations": {
                    "autoscaling.alpha.kubernetes.io/metrics": "{not json"}},
                "spec": {"scaleTargetRef": {"kind": "Deployment", "name": "x"},
                         "maxReplicas": 2}}
        r = self.c.kubectl("create", "--raw", V1, "-f", "-", input=json.dumps(body), check=False)
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("autoscaling.alpha.kubernetes.io/metrics", r.stderr)


if __name__ == "__main__":
    unittest.main()
