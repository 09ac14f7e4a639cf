"""End-to-end: the kubectl workflows of the API-server issue not covered by kubectl_e2e_test.py —
describe, diff, replace, edit with a scripted EDITOR, delete by label and --all, cluster-info,
wait --for=condition, the `create <kind>` generators (protobuf request bodies), run --dry-run,
-o wide, bad manifests, the Debian Python client listing and watching pods, and kubectl 1.20
when scripts/install-deps.sh has unpacked it.
"""
import json
import os
import subprocess
import sys
import textwrap
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from capstan_cluster import ClusterTestCase  # noqa: E402

# The Debian interpreter has Debian's python3-kubernetes; the one running this test may not.
DEBIAN_PYTHON = "/usr/bin/python3"
KUBECTL_1_20 = "/opt/capstan/kubectl-1.20/usr/bin/kubectl"


def configmap(name, value, labels=None):
    meta = "{name: %s}" % name if labels is None else "{name: %s, labels: %s}" % (name, labels)
    return "apiVersion: v1\nkind: ConfigMap\nmetadata: %s\ndata: {k: %s}\n" % (meta, value)


class KubectlWorkflowsTest(ClusterTestCase):
    def test_describe_shows_fields_and_events_section(self):
        self.c.kubectl("create", "-f", "-", input=configmap("described", "v", "{tier: fe}"))
        out = self.c.kubectl("describe", "configmap", "described")
        self.assertRegex(out, r"Name:\s+described")
        self.assertRegex(out, r"Labels:\s+tier=fe")
        self.assertIn("Events:", out)
        self.c.kubectl("create", "-f", "-", input=textwrap.dedent("""\
            apiVersion: v1
            kind: Pod
            metadata: {name: described-pod}
            spec: {containers: [{name: c, image: busybox, command: [sleep, "1"]}]}
            """))
        out = self.c.kubectl("describe", "pod", "described-pod")
        self.assertRegex(out, r"Image:\s+busybox")
        self.assertRegex(out, r"Status:\s+Pending")

    def test_diff_reports_changes_and_exits_one(self):
        self.c.kubectl("apply", "-f", "-", input=configmap("diffed", "old"))
        r = self.c.kubectl("diff", "-f", "-", input=configmap("diffed", "new"), check=False)
        self.assertEqual(r.returncode, 1, r.stderr)
        self.assertIn("-  k: old", r.stdout)
        self.assertIn("+  k: new", r.stdout)
        same = self.c.kubectl("diff", "-f", "-", input=configmap("diffed", "old"), check=False)
        self.assertEqual(same.returncode, 0, same.stdout + same.stderr)
        # diff is a server-side dry run: nothing was written.
        self.assertEqual(self.c.kubectl("get", "cm", "diffed", "-o", "jsonpath={.data.k}"), "old")

    def test_replace_swaps_the_whole_object(self):
        self.c.kubectl("create", "-f", "-", input=configmap("replaced", "a", "{x: '1'}"))
        self.assertIn("replaced", self.c.kubectl("replace", "-f", "-",
                                                 input=configmap("replaced", "b")))
        obj = json.loads(self.c.kubectl("get", "cm", "replaced", "-o", "json"))
        self.assertEqual(obj["data"], {"k": "b"})
        self.assertNotIn("labels", obj["metadata"])

    def test_edit_with_a_scripted_editor(self):
        self.c.kubectl("create", "-f", "-", input=configmap("edited", "before"))
        editor = os.path.join(self.c.dir, "editor.sh")
        with open(editor, "w") as f:
            f.write("#!/bin/sh\nsed -i 's/k: before/k: after/' \"$1\"\n")
        os.chmod(editor, 0o755)
        r = subprocess.run(["kubectl", "edit", "cm", "edited"], capture_output=True, text=True,
                           env=dict(self.c.env, KUBE_EDITOR=editor), timeout=60)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("edited", r.stdout)
        self.assertEqual(self.c.kubectl("get", "cm", "edited", "-o", "jsonpath={.data.k}"),
                         "after")

    def test_delete_by_label_and_all(self):
        self.c.kubectl("create", "namespace", "sweep")
        for name, label in (("a", "keep"), ("b", "drop"), ("c", "drop")):
            self.c.kubectl("create", "-n", "sweep", "-f", "-",
                           input=configmap(name, "v", "{set: %s}" % label))
        out = self.c.kubectl("delete", "cm", "-n", "sweep", "-l", "set=drop")
        self.assertIn('"b" deleted', out)
        self.assertIn('"c" deleted', out)
        names = self.c.kubectl("get", "cm", "-n", "sweep", "-o", "name").split()
        self.assertIn("configmap/a", names)
        self.assertNotIn("configmap/b", names)
        self.c.kubectl("delete", "cm", "-n", "sweep", "--all")
        self.assertNotIn("configmap/a",
                         self.c.kubectl("get", "cm", "-n", "sweep", "-o", "name").split())

    def test_cluster_info_names_the_control_plane(self):
        out = self.c.kubectl("cluster-info")
        self.assertIn("Kubernetes control plane", out)
        self.assertIn(self.c.url, out)

    def test_wait_for_a_condition_set_through_status(self):
        self.c.kubectl("create", "-f", "-", input=textwrap.dedent("""\
            apiVersion: v1
            kind: Pod
            metadata: {name: waited}
            spec: {containers: [{name: c, image: busybox}]}
            """))
        waiter = self.c.popen_kubectl("wait", "--for=condition=Ready", "pod/waited",
                                      "--timeout=30s")
        try:
            self.c.kubectl("patch", "pod", "waited", "--subresource=status", "--type=merge",
                           "-p", '{"status":{"conditions":[{"type":"Ready","status":"True"}]}}')
            out, _ = waiter.communicate(timeout=40)
        finally:
            if waiter.poll() is None:
                waiter.kill()
                waiter.communicate()
        self.assertEqual(waiter.returncode, 0, out)
        self.assertIn("condition met", out)

    def test_create_generators_send_protobuf_and_objects_arrive(self):
        self.c.kubectl("create", "namespace", "gen")
        self.c.kubectl("create", "configmap", "cfg", "-n", "gen", "--from-literal=a=1")
        self.c.kubectl("create", "secret", "generic", "sec", "-n", "gen", "--from-literal=p=s3")
        self.c.kubectl("create", "deployment", "dep", "-n", "gen", "--image=busybox",
                       "--replicas=2")
        self.c.kubectl("create", "service", "clusterip", "svc", "-n", "gen", "--tcp=80:8080")
        self.c.kubectl("create", "job", "job", "-n", "gen", "--image=busybox", "--", "true")
        self.c.kubectl("create", "serviceaccount", "robot", "-n", "gen")
        got = self.c.kubectl("get", "cm,secret,deploy,svc,job,sa", "-n", "gen", "-o", "name")
        for ref in ("configmap/cfg", "secret/sec", "deployment.apps/dep", "service/svc",
                    "job.batch/job", "serviceaccount/robot"):
            self.assertIn(ref, got.split())
        self.assertEqual(self.c.kubectl("get", "secret", "sec", "-n", "gen", "-o",
                                        "jsonpath={.data.p}"), "czM=")
        self.assertEqual(self.c.kubectl("get", "deploy", "dep", "-n", "gen", "-o",
                                        "jsonpath={.spec.replicas}"), "2")
        self.assertEqual(self.c.kubectl("get", "svc", "svc", "-n", "gen", "-o",
                                        "jsonpath={.spec.ports[0].targetPort}"), "8080")

    def test_run_dry_run_client_prints_yaml_and_creates_nothing(self):
        out = self.c.kubectl("run", "dry", "--image=busybox", "--dry-run=client", "-o", "yaml")
        self.assertIn("kind: Pod", out)
        self.assertIn("image: busybox", out)
        self.assertIn("NotFound", self.fails("get", "pod", "dry"))
        server = self.c.kubectl("run", "dry", "--image=busybox", "--dry-run=server", "-o",
                                "json")
        self.assertEqual(json.loads(server)["spec"]["restartPolicy"], "Always")
        self.assertIn("NotFound", self.fails("get", "pod", "dry"))

    def test_wide_output_adds_columns(self):
        self.c.kubectl("run", "wide", "--image=busybox")
        header = self.c.kubectl("get", "pod", "wide", "-o", "wide").splitlines()[0].split()
        self.assertEqual(header[:5], ["NAME", "READY", "STATUS", "RESTARTS", "AGE"])
        for column in ("IP", "NODE", "NOMINATED", "READINESS"):
            self.assertIn(column, header)

    def test_bad_manifests_get_upstream_style_errors(self):
        err = self.fails("create", "-f", "-", input="apiVersion: v1\nmetadata: {name: x}\n")
        self.assertIn("kind not set", err)
        err = self.fails("create", "-f", "-",
                         input="apiVersion: v1\nkind: Pod\nmetadata: {name: nocontainers}\n"
                               "spec: {containers: []}\n")
        self.assertIn('The Pod "nocontainers" is invalid', err)
        self.assertIn("spec.containers: Required value", err)
        err = self.fails("create", "-f", "-",
                         input="apiVersion: v1\nkind: ConfigMap\nmetadata: {name: t}\n"
                               "data: {k: [1]}\n")
        self.assertIn('ConfigMap in version "v1" cannot be handled as a ConfigMap: json: cannot '
                      'unmarshal array into Go struct field ConfigMap.data of type string', err)
        self.assertIn("NotFound", self.fails("get", "cm", "t"))

    @unittest.skipUnless(os.path.exists(DEBIAN_PYTHON), "needs Debian's python3")
    def test_python_client_lists_and_watches_pods(self):
        self.c.kubectl("run", "py-listed", "--image=busybox")
        script = textwrap.dedent("""\
            import sys, threading
            from kubernetes import client, config, watch
            config.load_kube_config(sys.argv[1])
            v1 = client.CoreV1Api()
            names = [p.metadata.name for p in v1.list_namespaced_pod("default").items]
            print("listed", " ".join(sorted(names)), flush=True)
            rv = v1.list_namespaced_pod("default").metadata.resource_version
            w = watch.Watch()
            for ev in w.stream(v1.list_namespaced_pod, "default", resource_version=rv,
                               timeout_seconds=30):
                if ev["object"].metadata.name == "py-watched":
                    print("watched", ev["type"], flush=True)
                    w.stop()
            """)
        proc = subprocess.Popen([DEBIAN_PYTHON, "-c", script, self.c.kubeconfig],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                env=self.c.env)
        try:
            first = proc.stdout.readline()
            self.assertIn("py-listed", first.split(), first + proc.stderr.read()
                          if not first else first)
            self.c.kubectl("run", "py-watched", "--image=busybox")
            out, err = proc.communicate(timeout=40)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.communicate()
        if "No module named 'kubernetes'" in err:
            self.skipTest("python3-kubernetes is not installed")
        self.assertEqual(proc.returncode, 0, err)
        self.assertIn("watched ADDED", out)

    @unittest.skipUnless(os.path.exists(KUBECTL_1_20), "kubectl 1.20 not unpacked")
    def test_kubectl_1_20_uses_legacy_discovery(self):
        def old(*args, input=None):
            r = subprocess.run([KUBECTL_1_20, *args], input=input, capture_output=True,
                               text=True, env=self.c.env, timeout=60)
            self.assertEqual(r.returncode, 0, r.stderr)
            return r.stdout
        self.assertIn("Server Version", old("version"))
        old("create", "--validate=false", "-f", "-", input=configmap("from-120", "old"))
        self.assertRegex(old("get", "cm", "from-120"), r"from-120\s+1\s+")
        old("apply", "--validate=false", "-f", "-", input=configmap("from-120", "newer"))
        self.assertEqual(self.c.kubectl("get", "cm", "from-120", "-o", "jsonpath={.data.k}"),
                         "newer")
        old("delete", "cm", "from-120")


if __name__ == "__main__":
    unittest.main(verbosity=2)
