"""End-to-end: kubectl's client-side validation through /openapi/v2 in gnostic protobuf.

kubectl 1.32 falls back to the protobuf v2 document for a group-version missing from /openapi/v3
and must then report the unknown kind as upstream does; kubectl 1.20 (legacy discovery) validates
every `create -f`/`apply` with it and reads it for `explain`. Custom resources join the document
once their CRD is established, so kubectl 1.20 explains and validates them too.
"""
import json
import os
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from capstan_cluster import ClusterTestCase  # noqa: E402

KUBECTL_120 = "/opt/capstan/kubectl-1.20/usr/bin/kubectl"

WIDGET = """
apiVersion: v9
kind: Widget
metadata:
  name: w
"""

CONFIGMAP = """
apiVersion: v1
kind: ConfigMap
metadata:
  name: %s
data:
  a: "1"
"""

CONFIGMAP_UNKNOWN_FIELD = """
apiVersion: v1
kind: ConfigMap
metadata:
  name: %s
foo: bar
data:
  a: "1"
"""

DEPLOYMENT = """
apiVersion: apps/v1
kind: Deployment
metadata:
  name: %s
spec:
  replicas: %d
  selector:
    matchLabels: {app: %s}
  template:
    metadata:
      labels: {app: %s}
    spec:
      containers:
      - name: c
        image: busybox
        command: ["sleep", "3600"]
        ports:
        - containerPort: 80
"""

GADGET_SCHEMA = {"type": "object", "properties": {"spec": {
    "type": "object", "description": "What the gadget should be.",
    "properties": {"size": {"type": "integer", "description": "How big the gadget is."}}}}}

GADGET = """
apiVersion: example.com/v1
kind: Gadget
metadata:
  name: %s
spec:
  size: 3
"""


class OpenApiV2Test(ClusterTestCase):
    def kubectl_120(self, *args, input=None):
        return subprocess.run([KUBECTL_120, *args], input=input, capture_output=True, text=True,
                              env=self.c.env, timeout=60)

    def test_kubectl_132_reports_an_unknown_kind_after_reading_the_v2_document(self):
        r = self.c.kubectl("create", "-f", "-", input=WIDGET, check=False)
        self.assertNotEqual(r.returncode, 0)
        self.assertIn('no matches for kind "Widget" in version "v9"', r.stderr)
        self.assertNotIn("error validating data", r.stderr)

    def test_kubectl_132_fetches_the_protobuf_document_without_errors(self):
        # -v=6 logs each request: the v2 fetch must answer 200 (it was a 406).
        r = self.c.kubectl("create", "-f", "-", "-v=6", input=WIDGET, check=False)
        lines = [line for line in r.stderr.splitlines() if "/openapi/v2" in line]
        self.assertTrue(lines, r.stderr)
        self.assertTrue(all("200 OK" in line for line in lines), "\n".join(lines))

    @unittest.skipUnless(os.path.exists(KUBECTL_120), "kubectl 1.20 is not installed")
    def test_kubectl_120_creates_with_validation(self):
        for name, body in (("v120-cm", CONFIGMAP % "v120-cm"),
                           ("v120-deploy", DEPLOYMENT % ("v120-deploy", 1, "v120", "v120"))):
            r = self.kubectl_120("create", "-f", "-", input=body)
            self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
            self.assertIn("created", r.stdout)
        cm = json.loads(self.c.kubectl("get", "configmap", "v120-cm", "-o", "json"))
        self.assertEqual(cm["data"], {"a": "1"})
        self.c.kubectl("get", "deployment", "v120-deploy")

    @unittest.skipUnless(os.path.exists(KUBECTL_120), "kubectl 1.20 is not installed")
    def test_kubectl_120_rejects_an_unknown_field_on_the_client(self):
        r = self.kubectl_120("create", "-f", "-", input=CONFIGMAP_UNKNOWN_FIELD % "v120-bad")
        self.assertNotEqual(r.returncode, 0)
        self.assertIn('error validating data: ValidationError(ConfigMap): unknown field "foo" in '
                      'io.k8s.api.core.v1.ConfigMap', r.stderr)
        r = self.c.kubectl("get", "configmap", "v120-bad", check=False)
        self.assertNotEqual(r.returncode, 0)

    @unittest.skipUnless(os.path.exists(KUBECTL_120), "kubectl 1.20 is not installed")
    def test_kubectl_120_rejects_a_wrong_type_on_the_client(self):
        body = DEPLOYMENT % ("v120-type", 1, "t", "t")
        body = body.replace("replicas: 1", 'replicas: "one"')
        r = self.kubectl_120("create", "-f", "-", input=body)
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("error validating data: ValidationError(Deployment.spec.replicas): invalid "
                      "type for io.k8s.api.apps.v1.DeploymentSpec.replicas", r.stderr)

    @unittest.skipUnless(os.path.exists(KUBECTL_120), "kubectl 1.20 is not installed")
    def test_kubectl_120_apply_creates_then_updates(self):
        r = self.kubectl_120("apply", "-f", "-",
                             input=DEPLOYMENT % ("v120-apply", 1, "apply", "apply"))
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertIn("created", r.stdout)
        r = self.kubectl_120("apply", "-f", "-",
                             input=DEPLOYMENT % ("v120-apply", 3, "apply", "apply"))
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertIn("configured", r.stdout)
        replicas = self.c.kubectl("get", "deployment", "v120-apply", "-o",
                                  "jsonpath={.spec.replicas}")
        self.assertEqual(replicas, "3")

    @unittest.skipUnless(os.path.exists(KUBECTL_120), "kubectl 1.20 is not installed")
    def test_kubectl_120_explain_reads_the_v2_document(self):
        r = self.kubectl_120("explain", "pods.spec.containers")
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertIn("KIND:     Pod", r.stdout)
        self.assertIn("RESOURCE: containers <[]Object>", r.stdout)
        self.assertIn("image\t<string>", r.stdout)

    @unittest.skipUnless(os.path.exists(KUBECTL_120), "kubectl 1.20 is not installed")
    def test_kubectl_120_explains_and_validates_custom_resources(self):
        self.c.create_crd("example.com", "gadgets", "Gadget", GADGET_SCHEMA)
        # The published document follows the CRD; poll until kubectl 1.20 sees the kind.
        r = None
        for _ in range(50):
            r = self.kubectl_120("explain", "gadgets.spec")
            if r.returncode == 0:
                break
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertIn("KIND:     Gadget", r.stdout)
        self.assertIn("What the gadget should be.", r.stdout)
        self.assertIn("size\t<integer>", r.stdout)

        r = self.kubectl_120("create", "-f", "-", input=GADGET % "g-bad" + "  colour: red\n")
        self.assertNotEqual(r.returncode, 0)
        self.assertIn('ValidationError(Gadget.spec): unknown field "colour" in '
                      'com.example.v1.Gadget.spec', r.stderr)
        r = self.kubectl_120("create", "-f", "-", input=GADGET % "g-ok")
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.c.kubectl("get", "gadget", "g-ok")


if __name__ == "__main__":
    unittest.main()
