"""End-to-end: the HorizontalPodAutoscaler controller plugin in a real `capstan server` with the
local agent on the fake runtime and the resource metrics API (`--metrics-resolution 1s`),
driven by unmodified kubectl. Pods report the CPU their `fake.capstan.io/cpu-millicores`
annotation says; `kubectl autoscale` scales a busy Deployment up, `kubectl get hpa` shows the
TARGETS column, and with `behavior.scaleDown.stabilizationWindowSeconds: 0` an idle one scales
back down. Skipped while the server does not serve metrics.k8s.io (the metrics contract of
brief ARCH5); the TARGETS check is skipped while the server prints no HPA table columns."""
import json
import os
import re
import sys
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from capstan_cluster import Cluster  # noqa: E402

DEPLOYMENT = """
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {name}
spec:
  replicas: 1
  selector:
    matchLabels: {{app: {name}}}
  template:
    metadata:
      labels: {{app: {name}}}
      annotations: {{fake.capstan.io/cpu-millicores: "{millicores}"}}
    spec:
      containers:
      - name: app
        image: busybox
        resources:
          requests: {{cpu: 100m}}
"""

HPA_DOWN = """
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata:
  name: idle
spec:
  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: idle}
  minReplicas: 1
  maxReplicas: 5
  metrics:
  - type: Resource
    resource:
      name: cpu
      target: {type: Utilization, averageUtilization: 50}
  behavior:
    scaleDown: {stabilizationWindowSeconds: 0}
"""


class HpaTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.c = Cluster(extra_args=["--runtime", "fake", "--metrics-resolution", "1s"],
                        agent=True)
        r = cls.c.kubectl("get", "--raw", "/apis/metrics.k8s.io/v1beta1", check=False)
        if r.returncode != 0:
            cls.c.stop()
            raise unittest.SkipTest("the server does not serve metrics.k8s.io yet")

    @classmethod
    def tearDownClass(cls):
        cls.c.stop()

    def replicas(self, name):
        d = json.loads(self.c.kubectl("get", "deployment", name, "-o", "json"))
        return d["spec"].get("replicas", 1)

    def hpa(self, name):
        return json.loads(self.c.kubectl("get", "hpa", name, "-o", "json"))

    def test_autoscale_scales_a_busy_deployment_up_and_shows_targets(self):
        # 100m requested, 90m used: 90% against a 50% target -> ceil(1 * 1.8) = 2 replicas.
        self.c.kubectl("create", "-f", "-", input=DEPLOYMENT.format(name="busy", millicores=90))
        self.c.kubectl("autoscale", "deployment", "busy", "--cpu-percent=50", "--min=1",
                       "--max=5")
        self.c.wait_for(lambda: self.replicas("busy") >= 2, timeout=90,
                        what="the HPA to scale busy up")
        status = self.hpa("busy")["status"]
        self.assertGreaterEqual(status["desiredReplicas"], 2)
        self.assertIn("lastScaleTime", status)
        able = [c for c in status["conditions"] if c["type"] == "AbleToScale"][0]
        self.assertEqual(able["status"], "True")
        out = self.c.kubectl("get", "hpa", "busy")
        if "TARGETS" not in out.splitlines()[0]:
            self.skipTest("the server has no HorizontalPodAutoscaler table columns yet "
                          "(core/apiserver/table_columns.cc)")
        self.assertRegex(out, r"busy\s+Deployment/busy\s+cpu: \d+%/50%\s+1\s+5\s+\d+")

    def test_an_idle_deployment_scales_down_without_a_window(self):
        self.c.kubectl("create", "-f", "-", input=DEPLOYMENT.format(name="idle", millicores=5))
        self.c.kubectl("scale", "deployment", "idle", "--replicas=3")
        self.c.kubectl("create", "-f", "-", input=HPA_DOWN)
        self.c.wait_for(lambda: self.replicas("idle") == 1, timeout=90,
                        what="the HPA to scale idle down to minReplicas")
        active = [c for c in self.hpa("idle")["status"]["conditions"]
                  if c["type"] == "ScalingActive"][0]
        self.assertEqual(active["reason"], "ValidMetricFound")
        self.assertTrue(re.match(r"\d+", str(
            self.hpa("idle")["status"]["currentMetrics"][0]["resource"]["current"]
            ["averageUtilization"])))


if __name__ == "__main__":
    unittest.main()
