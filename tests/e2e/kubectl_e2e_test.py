"""End-to-end: unmodified kubectl against a real `capstan server` (issue: API server)."""
import json
import os
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from capstan_cluster import ClusterTestCase  # noqa: E402

DEPLOYMENT = """
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  labels: {app: web}
spec:
  replicas: %d
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
      - name: nginx
        image: nginx:1.25
        ports: [{containerPort: 80}]
"""


class KubectlTest(ClusterTestCase):
    def test_version_reports_minor_32_so_the_dispatcher_picks_kubectl_1_32(self):
        out = self.c.kubectl("version", "-o", "json")
        v = json.loads(out)
        self.assertEqual(v["serverVersion"]["minor"], "32")
        self.assertTrue(v["clientVersion"]["gitVersion"].startswith("v1.32"))

    def test_discovery_lists_builtin_resources_with_short_names(self):
        out = self.c.kubectl("api-resources")
        for needle in ["deployments", "deploy", "configmaps", "customresourcedefinitions"]:
            self.assertIn(needle, out)
        self.assertIn("apps/v1", self.c.kubectl("api-versions"))

    def test_system_namespaces_exist(self):
        out = self.c.kubectl("get", "ns", "-o", "name")
        for ns in ["default", "kube-system", "kube-public", "kube-node-lease"]:
            self.assertIn("namespace/" + ns, out)

    def test_create_get_in_every_output_form_and_delete(self):
        self.c.kubectl("create", "-f", "-", input="""
apiVersion: v1
kind: ConfigMap
metadata: {name: forms, labels: {app: forms}}
data: {k: v}
""")
        table = self.c.kubectl("get", "cm", "forms")
        self.assertRegex(table, r"NAME\s+DATA\s+AGE")
        self.assertRegex(table, r"forms\s+1\s+\d+s")
        obj = json.loads(self.c.kubectl("get", "cm", "forms", "-o", "json"))
        self.assertEqual(obj["data"], {"k": "v"})
        self.assertTrue(obj["metadata"]["uid"])
        self.assertIn("k: v", self.c.kubectl("get", "cm", "forms", "-o", "yaml"))
        self.assertEqual(self.c.kubectl("get", "cm", "forms", "-o", "jsonpath={.data.k}"), "v")
        self.assertEqual(self.c.kubectl("get", "cm", "forms", "-o", "name").strip(),
                         "configmap/forms")
        cc = self.c.kubectl("get", "cm", "forms", "-o", "custom-columns=N:.metadata.name,K:.data.k")
        self.assertRegex(cc, r"forms\s+v")
        self.assertIn("forms", self.c.kubectl("get", "cm", "-l", "app=forms", "-o", "name"))
        self.assertNotIn("forms", self.c.kubectl("get", "cm", "-l", "app=other", "-o", "name"))
        self.assertIn("forms", self.c.kubectl("get", "cm", "--field-selector",
                                              "metadata.name=forms", "-o", "name"))
        self.assertIn("default", self.c.kubectl("get", "cm", "-A"))
        self.assertIn('"forms" deleted', self.c.kubectl("delete", "cm", "forms"))
        r = self.c.kubectl("get", "cm", "forms", check=False)
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("NotFound", r.stderr)

    def test_duplicate_create_is_already_exists_and_bad_names_are_invalid(self):
        manifest = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: dup}\n"
        self.c.kubectl("create", "-f", "-", input=manifest)
        r = self.c.kubectl("create", "-f", "-", input=manifest, check=False)
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("AlreadyExists", r.stderr)
        r = self.c.kubectl("create", "-f", "-", check=False,
                           input="apiVersion: v1\nkind: ConfigMap\nmetadata: {name: Bad_Name}\n")
        self.assertNotEqual(r.returncode, 0)
        self.assertIn('The ConfigMap "Bad_Name" is invalid: metadata.name', r.stderr)

    def test_apply_twice_then_server_side_and_scale(self):
        self.assertIn("created", self.c.kubectl("apply", "-f", "-", input=DEPLOYMENT % 2))
        self.assertIn("configured", self.c.kubectl("apply", "-f", "-", input=DEPLOYMENT % 3))
        dep = json.loads(self.c.kubectl("get", "deploy", "web", "-o", "json"))
        self.assertEqual(dep["spec"]["replicas"], 3)
        self.assertEqual(dep["metadata"]["generation"], 2)
        self.assertIn("unchanged", self.c.kubectl("apply", "-f", "-", input=DEPLOYMENT % 3))
        # Switching to server-side apply with a changed field owned by client-side apply
        # conflicts, as upstream; --force-conflicts takes the field over.
        r = self.c.kubectl("apply", "--server-side", "-f", "-", input=DEPLOYMENT % 4, check=False)
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("conflict", r.stderr)
        self.assertIn(".spec.replicas", r.stderr)
        self.assertIn("serverside-applied",
                      self.c.kubectl("apply", "--server-side", "--force-conflicts", "-f", "-",
                                     input=DEPLOYMENT % 4))
        dep = json.loads(self.c.kubectl("get", "deploy", "web", "-o", "json",
                                        "--show-managed-fields"))
        self.assertEqual(dep["spec"]["replicas"], 4)
        self.assertIn("kubectl", [m["manager"] for m in dep["metadata"]["managedFields"]])
        self.assertIn("scaled", self.c.kubectl("scale", "deploy", "web", "--replicas=5"))
        self.assertEqual(self.c.kubectl("get", "deploy", "web", "-o",
                                        "jsonpath={.spec.replicas}"), "5")
        self.c.kubectl("set", "image", "deploy/web", "nginx=nginx:1.26")
        self.assertEqual(self.c.kubectl("get", "deploy", "web", "-o",
                                        "jsonpath={.spec.template.spec.containers[0].image}"),
                         "nginx:1.26")
        self.c.kubectl("delete", "deploy", "web")

    def test_patch_types_label_annotate_and_no_change(self):
        self.c.kubectl("create", "-f", "-",
                       input="apiVersion: v1\nkind: ConfigMap\nmetadata: {name: p}\ndata: {k: v}\n")
        self.assertIn("labeled", self.c.kubectl("label", "cm", "p", "tier=fe"))
        self.assertIn("annotated", self.c.kubectl("annotate", "cm", "p", "note=x"))
        self.c.kubectl("annotate", "cm", "p", "note=y", "--overwrite")
        self.c.kubectl("patch", "cm", "p", "--type", "merge", "-p", '{"data":{"k":"v2"}}')
        self.c.kubectl("patch", "cm", "p", "--type", "json",
                       "-p", '[{"op":"add","path":"/data/z","value":"1"}]')
        self.assertIn("no change", self.c.kubectl("patch", "cm", "p", "-p", '{"data":{"k":"v2"}}'))
        obj = json.loads(self.c.kubectl("get", "cm", "p", "-o", "json"))
        self.assertEqual(obj["data"], {"k": "v2", "z": "1"})
        self.assertEqual(obj["metadata"]["labels"]["tier"], "fe")
        self.assertEqual(obj["metadata"]["annotations"]["note"], "y")

    def test_watch_sees_later_changes(self):
        w = self.c.popen_kubectl("get", "cm", "-w", "--request-timeout=20s")
        try:
            time.sleep(1)
            self.c.kubectl("create", "-f", "-",
                           input="apiVersion: v1\nkind: ConfigMap\nmetadata: {name: watched}\n")
            lines = []
            deadline = time.time() + 15
            while time.time() < deadline:
                line = w.stdout.readline()
                lines.append(line)
                if "watched" in line:
                    break
            self.assertTrue(any("watched" in l for l in lines), lines)
        finally:
            w.kill()
            w.wait()
            w.stdout.close()

    def test_wait_for_delete_and_explain(self):
        self.c.kubectl("create", "-f", "-",
                       input="apiVersion: v1\nkind: ConfigMap\nmetadata: {name: gone}\n")
        self.c.kubectl("delete", "cm", "gone", "--wait=true")
        self.assertIn("restartPolicy", self.c.kubectl("explain", "pod.spec.restartPolicy"))


if __name__ == "__main__":
    unittest.main(verbosity=2)
