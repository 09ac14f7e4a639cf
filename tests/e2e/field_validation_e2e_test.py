"""End-to-end: kubectl's fieldValidation (Strict / Warn / Ignore) against a real `capstan server`.

Unknown fields of built-in kinds and of custom resources (fields their CRD's structural schema
does not declare) fail under Strict (what kubectl sends by default), are dropped with a warning
under Warn, and are dropped silently under Ignore; they are never stored.
"""
import json
import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from capstan_cluster import ClusterTestCase  # noqa: E402

POD = """
apiVersion: v1
kind: Pod
metadata:
  name: %s
spec:
  foo: bar
  containers:
  - name: c
    image: busybox
    bogus: 1
"""

CONFIGMAP = """
apiVersion: v1
kind: ConfigMap
metadata:
  name: %s
data:
  a: "1"
"""

WIDGET_SCHEMA = {"type": "object", "properties": {"spec": {"type": "object", "properties": {
    "size": {"type": "integer"},
    "parts": {"type": "array",
              "items": {"type": "object", "properties": {"name": {"type": "string"}}}},
    "free": {"type": "object", "x-kubernetes-preserve-unknown-fields": True}}}}}

WIDGET = """
apiVersion: example.com/v1
kind: Widget
metadata:
  name: %s
spec:
  size: 3
  bogus: 1
  parts: [{name: a, colour: red}]
  free: {anything: 1}
"""


class FieldValidationTest(ClusterTestCase):
    widget_crd = False

    def widgets(self):
        """Creates the Widget CRD once per cluster and waits until it is served."""
        if not FieldValidationTest.widget_crd:
            self.c.create_crd("example.com", "widgets", "Widget", WIDGET_SCHEMA)
            FieldValidationTest.widget_crd = True

    def test_create_with_unknown_fields_fails_under_strict_with_upstreams_message(self):
        r = self.c.kubectl("create", "-f", "-", input=POD % "strict", check=False)
        self.assertNotEqual(r.returncode, 0)
        self.assertIn('Error from server (BadRequest): error when creating "STDIN": Pod in '
                      'version "v1" cannot be handled as a Pod: strict decoding error: '
                      'unknown field "spec.containers[0].bogus", unknown field "spec.foo"',
                      r.stderr)
        r = self.c.kubectl("get", "pod", "strict", check=False)
        self.assertNotEqual(r.returncode, 0)

    def test_validate_false_drops_unknown_fields_silently(self):
        r = self.c.kubectl("create", "--validate=false", "-f", "-", input=POD % "ignored",
                           check=False)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertNotIn("unknown field", r.stderr)
        pod = self.get_json("pod", "ignored")
        self.assertNotIn("foo", pod["spec"])
        self.assertNotIn("bogus", pod["spec"]["containers"][0])
        self.assertEqual(pod["spec"]["containers"][0]["image"], "busybox")

    def test_validate_warn_drops_unknown_fields_and_prints_warnings(self):
        r = self.c.kubectl("create", "--validate=warn", "-f", "-", input=POD % "warned",
                           check=False)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn('Warning: unknown field "spec.foo"', r.stderr)
        self.assertIn('Warning: unknown field "spec.containers[0].bogus"', r.stderr)
        self.assertNotIn("foo", self.get_json("pod", "warned")["spec"])

    def test_client_side_apply_with_an_unknown_field_fails_under_strict(self):
        r = self.c.kubectl("apply", "-f", "-", input=POD % "applied", check=False)
        self.assertNotEqual(r.returncode, 0)
        self.assertIn('strict decoding error: unknown field "spec.containers[0].bogus"', r.stderr)
        # On an existing object the strategic merge patch is decoded strictly too.
        self.c.kubectl("apply", "-f", "-", input=CONFIGMAP % "cm-apply")
        r = self.c.kubectl("apply", "-f", "-",
                           input=CONFIGMAP % "cm-apply" + "extra: {x: 1}\n", check=False)
        self.assertNotEqual(r.returncode, 0)
        self.assertIn('strict decoding error: unknown field "extra"', r.stderr)
        self.assertNotIn("extra", self.get_json("configmap", "cm-apply"))

    def test_server_side_apply_with_an_unknown_field_fails_as_upstream(self):
        r = self.c.kubectl("apply", "--server-side", "-f", "-", input=POD % "ssa", check=False)
        self.assertNotEqual(r.returncode, 0)
        self.assertIn('failed to create typed patch object (default/ssa; /v1, Kind=Pod): '
                      'errors:', r.stderr)
        self.assertIn('.spec.containers[name="c"].bogus: field not declared in schema', r.stderr)
        self.assertIn(".spec.foo: field not declared in schema", r.stderr)

    def test_patch_with_an_unknown_field_never_stores_it(self):
        self.c.kubectl("create", "-f", "-", input=CONFIGMAP % "cm-patch")
        r = self.c.kubectl("patch", "configmap", "cm-patch", "--type", "merge",
                           "-p", '{"data":{"b":"2"},"nope":1}', check=False)
        # Strict fails the patch; Warn (no parameter) applies it without the field.
        if r.returncode != 0:
            self.assertIn('strict decoding error: unknown field "nope"', r.stderr)
        else:
            self.assertIn('Warning: unknown field "nope"', r.stderr)
        self.assertNotIn("nope", self.get_json("configmap", "cm-patch"))

    def test_replace_with_an_unknown_field_fails_under_strict(self):
        self.c.kubectl("create", "-f", "-", input=CONFIGMAP % "cm-replace")
        r = self.c.kubectl("replace", "-f", "-", input=CONFIGMAP % "cm-replace" + "zzz: 1\n",
                           check=False)
        self.assertNotEqual(r.returncode, 0)
        self.assertIn('ConfigMap in version "v1" cannot be handled as a ConfigMap: strict '
                      'decoding error: unknown field "zzz"', r.stderr)

    def test_custom_resource_with_unknown_fields_fails_under_strict(self):
        self.widgets()
        r = self.c.kubectl("create", "-f", "-", input=WIDGET % "w-strict", check=False)
        self.assertNotEqual(r.returncode, 0)
        self.assertIn('Widget in version "v1" cannot be handled as a Widget: strict decoding '
                      'error: unknown field "spec.bogus", unknown field "spec.parts[0].colour"',
                      r.stderr)
        self.assertNotEqual(self.c.kubectl("get", "widget", "w-strict", check=False).returncode, 0)

    def test_custom_resource_under_warn_is_pruned_with_warnings(self):
        self.widgets()
        r = self.c.kubectl("create", "--validate=warn", "-f", "-", input=WIDGET % "w-warn",
                           check=False)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn('Warning: unknown field "spec.bogus"', r.stderr)
        self.assertIn('Warning: unknown field "spec.parts[0].colour"', r.stderr)
        self.assertNotIn("anything", r.stderr)  # preserved by x-kubernetes-preserve-unknown-fields
        spec = self.get_json("widget", "w-warn")["spec"]
        self.assertEqual(spec, {"size": 3, "parts": [{"name": "a"}], "free": {"anything": 1}})
        # A merge patch adding an unknown field (kubectl patch asks for no directive: Warn).
        r = self.c.kubectl("patch", "widget", "w-warn", "--type", "merge",
                           "-p", '{"spec":{"size":4,"nope":1}}', check=False)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn('Warning: unknown field "spec.nope"', r.stderr)
        self.assertEqual(self.get_json("widget", "w-warn")["spec"]["size"], 4)
        self.assertNotIn("nope", self.get_json("widget", "w-warn")["spec"])

    def test_custom_resource_server_side_apply_with_an_unknown_field_fails(self):
        self.widgets()
        r = self.c.kubectl("apply", "--server-side", "-f", "-", input=WIDGET % "w-ssa",
                           check=False)
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("failed to create typed patch object (default/w-ssa; example.com/v1, "
                      "Kind=Widget): errors:", r.stderr)
        self.assertIn(".spec.bogus: field not declared in schema", r.stderr)
        self.assertIn(".spec.parts[0].colour: field not declared in schema", r.stderr)

    def test_known_objects_are_unaffected(self):
        out = self.c.kubectl("create", "-f", "-", input=CONFIGMAP % "cm-ok")
        self.assertIn("configmap/cm-ok created", out)
        self.assertEqual(self.get_json("configmap", "cm-ok")["data"], {"a": "1"})


if __name__ == "__main__":
    unittest.main()
