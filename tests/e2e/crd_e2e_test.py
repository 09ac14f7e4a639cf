"""End-to-end: CustomResourceDefinitions and custom resources with unmodified kubectl against a
real `capstan server` (the CRD controller in core/apiserver/crd_controller.h)."""
import json
import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from capstan_cluster import Cluster  # noqa: E402

# The CronTab example from the Kubernetes documentation, with a few schema constraints added.
CRD = """
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: crontabs.stable.example.com
spec:
  group: stable.example.com
  versions:
    - name: v1
      served: true
      storage: true
      schema:
        openAPIV3Schema:
          type: object
          properties:
            spec:
              type: object
              required: [cronSpec]
              properties:
                cronSpec:
                  type: string
                image:
                  type: string
                replicas:
                  type: integer
                  minimum: 1
                  maximum: 10
                  default: 1
  scope: Namespaced
  names:
    plural: crontabs
    singular: crontab
    kind: CronTab
    shortNames:
    - ct
"""

CR = """
apiVersion: "stable.example.com/v1"
kind: CronTab
metadata:
  name: %s
spec:
  cronSpec: "* * * * */5"
  image: my-awesome-cron-image
%s
"""


class CrdTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.c = Cluster()
        try:
            cls.c.kubectl("apply", "-f", "-", input=CRD)
            cls.c.kubectl("wait", "--for", "condition=established", "--timeout=60s",
                          "crd/crontabs.stable.example.com")
        except Exception:
            cls.c.stop()
            raise

    @classmethod
    def tearDownClass(cls):
        cls.c.stop()

    def create_cr(self, name, extra="", *args):
        return self.c.kubectl("create", *args, "-f", "-", input=CR % (name, extra))

    def test_crd_status_reports_accepted_names_and_stored_versions(self):
        crd = json.loads(self.c.kubectl("get", "crd", "crontabs.stable.example.com", "-o", "json"))
        conditions = {c["type"]: c for c in crd["status"]["conditions"]}
        self.assertEqual(conditions["NamesAccepted"]["status"], "True")
        self.assertEqual(conditions["Established"]["reason"], "InitialNamesAccepted")
        self.assertEqual(crd["status"]["acceptedNames"]["shortNames"], ["ct"])
        self.assertEqual(crd["status"]["storedVersions"], ["v1"])
        self.assertIn("customresourcecleanup.apiextensions.k8s.io",
                      crd["metadata"]["finalizers"])

    def test_api_resources_lists_the_kind_with_its_short_name(self):
        out = self.c.kubectl("api-resources", "--api-group=stable.example.com")
        self.assertRegex(out, r"crontabs\s+ct\s+stable.example.com/v1\s+true\s+CronTab")
        self.assertIn("stable.example.com/v1", self.c.kubectl("api-versions"))

    def test_create_then_get_by_short_name_in_every_form(self):
        self.assertIn("crontab.stable.example.com/forms created", self.create_cr("forms"))
        table = self.c.kubectl("get", "ct")
        self.assertRegex(table, r"NAME\s+AGE")
        self.assertRegex(table, r"forms\s+\d+s")
        obj = json.loads(self.c.kubectl("get", "ct", "forms", "-o", "json"))
        self.assertEqual(obj["apiVersion"], "stable.example.com/v1")
        self.assertEqual(obj["kind"], "CronTab")
        self.assertEqual(obj["spec"]["image"], "my-awesome-cron-image")
        self.assertEqual(obj["spec"]["replicas"], 1)  # schema default
        self.assertIn("cronSpec: '* * * * */5'",
                      self.c.kubectl("get", "crontab", "forms", "-o", "yaml"))
        self.assertEqual(self.c.kubectl("get", "crontabs.stable.example.com", "forms",
                                        "-o", "name").strip(),
                         "crontab.stable.example.com/forms")
        self.assertIn("forms", self.c.kubectl("get", "ct", "-A"))

    def test_merge_patch_changes_spec(self):
        self.create_cr("patched")
        out = self.c.kubectl("patch", "ct", "patched", "--type=merge",
                             "-p", '{"spec":{"replicas":3}}')
        self.assertIn("crontab.stable.example.com/patched patched", out)
        obj = json.loads(self.c.kubectl("get", "ct", "patched", "-o", "json"))
        self.assertEqual(obj["spec"]["replicas"], 3)
        self.assertEqual(obj["metadata"]["generation"], 2)
        self.assertIn("labeled", self.c.kubectl("label", "ct", "patched", "tier=cron"))
        self.assertIn("patched", self.c.kubectl("get", "ct", "-l", "tier=cron", "-o", "name"))

    def test_schema_violation_is_rejected_with_422_and_upstream_message(self):
        r = self.c.kubectl("create", "-v=6", "-f", "-", check=False,
                           input=CR % ("bad", "  replicas: three"))
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("422", r.stderr)
        self.assertIn('spec.replicas: Invalid value: "string": spec.replicas in body must be of '
                      'type integer: "string"', r.stderr)
        r = self.c.kubectl("create", "-f", "-", check=False,
                           input="apiVersion: stable.example.com/v1\nkind: CronTab\n"
                                 "metadata: {name: bad2}\nspec: {replicas: 11}\n")
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("spec.cronSpec: Required value", r.stderr)
        self.assertIn("spec.replicas: Invalid value: 11: spec.replicas in body should be less "
                      "than or equal to 10", r.stderr)
        self.assertNotEqual(self.c.kubectl("get", "ct", "bad", check=False).returncode, 0)

    def test_unknown_fields_are_pruned(self):
        self.create_cr("pruned", "  someRandomField: 42\nextraTopLevel: true", "--validate=false")
        obj = json.loads(self.c.kubectl("get", "ct", "pruned", "-o", "json"))
        self.assertNotIn("someRandomField", obj["spec"])
        self.assertNotIn("extraTopLevel", obj)
        self.assertEqual(obj["spec"]["cronSpec"], "* * * * */5")

    def test_apply_twice_explain_and_delete(self):
        self.assertIn("created", self.c.kubectl("apply", "-f", "-", input=CR % ("applied", "")))
        self.assertIn("configured", self.c.kubectl("apply", "-f", "-",
                                                   input=CR % ("applied", "  replicas: 4")))
        self.assertEqual(self.c.kubectl("get", "ct", "applied", "-o",
                                        "jsonpath={.spec.replicas}"), "4")
        self.assertIn("cronSpec", self.c.kubectl("explain", "crontab.spec"))
        self.assertIn('"applied" deleted', self.c.kubectl("delete", "ct", "applied"))
        r = self.c.kubectl("get", "ct", "applied", check=False)
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("NotFound", r.stderr)

    def test_z_deleting_the_crd_deletes_its_objects_and_leaves_discovery(self):
        self.create_cr("doomed")
        self.assertIn("deleted", self.c.kubectl("delete", "crd", "crontabs.stable.example.com",
                                                "--timeout=60s"))
        self.c.wait_for(lambda: "crontabs" not in self.c.kubectl("api-resources"),
                        what="crontabs to leave discovery")
        self.assertNotIn("stable.example.com", self.c.kubectl("api-versions"))
        r = self.c.kubectl("get", "ct", check=False)
        self.assertNotEqual(r.returncode, 0)
        # Re-creating the CRD serves an empty collection: the objects went with the old one.
        self.c.kubectl("apply", "-f", "-", input=CRD)
        self.c.kubectl("wait", "--for", "condition=established", "--timeout=60s",
                       "crd/crontabs.stable.example.com")
        out = self.c.kubectl("get", "crontabs", "-A", "-o", "name")
        self.assertNotIn("doomed", out)


if __name__ == "__main__":
    unittest.main(verbosity=2)
