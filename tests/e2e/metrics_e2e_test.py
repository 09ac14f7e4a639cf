"""End-to-end: `kubectl top` against the resource metrics API that `capstan server` serves
itself (metrics.k8s.io/v1beta1, scraped from the agents' /metrics/resource every
`--metrics-resolution`). On the fake runtime a pod reports exactly the CPU its
`fake.capstan.io/cpu-millicores` annotation says; with real runc (skipped without root and the
registry tools) a busybox pod that spins shows real CPU time and memory from its cgroup."""
import json
import os
import re
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from capstan_cluster import Cluster  # noqa: E402
from node_fixture import RuncCluster, TOOLS, runc_cluster_available  # noqa: E402

FAKE_POD = """
apiVersion: v1
kind: Pod
metadata:
  name: busy
  labels: {app: busy}
  annotations:
    fake.capstan.io/cpu-millicores: "250"
    fake.capstan.io/memory-bytes: "67108864"
spec:
  containers:
  - name: app
    image: busybox
  - name: side
    image: busybox
"""

BURN_POD = """
apiVersion: v1
kind: Pod
metadata:
  name: burn
spec:
  containers:
  - name: burn
    image: busybox
    command: ["sh", "-c", "while :; do :; done"]
"""


def millicores(text):
    """'250m' -> 250, '1' -> 1000."""
    return int(text[:-1]) if text.endswith("m") else int(text) * 1000


def mebibytes(text):
    """'64Mi' -> 64; kubectl top prints memory in Mi."""
    m = re.match(r"^(\d+)Mi$", text)
    if not m:
        raise AssertionError("unexpected memory column %r" % text)
    return int(m.group(1))


def poll_top(cluster, args, want_rows, timeout=60):
    """Runs `kubectl top ARGS` until it succeeds with at least `want_rows` data rows; returns
    the rows split into columns (metrics need two scrapes first: "metrics not available yet")."""
    deadline = time.time() + timeout
    last = None
    while time.time() < deadline:
        last = cluster.kubectl("top", *args, check=False)
        if last.returncode == 0:
            rows = [line.split() for line in last.stdout.strip().splitlines()[1:]]
            if len(rows) >= want_rows:
                return last.stdout.strip().splitlines()[0].split(), rows
        time.sleep(0.5)
    raise AssertionError("kubectl top %s never gave %d rows: %s%s" %
                         (" ".join(args), want_rows, last.stdout, last.stderr))


class FakeRuntimeMetricsTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.c = Cluster(extra_args=["--runtime", "fake", "--metrics-resolution", "1s"],
                        agent=True)
        cls.c.kubectl("create", "-f", "-", input=FAKE_POD)

    @classmethod
    def tearDownClass(cls):
        cls.c.stop()

    def test_top_pod_shows_the_annotated_cpu_and_memory(self):
        header, rows = poll_top(self.c, ["pod", "busy"], 1)
        self.assertEqual(header, ["NAME", "CPU(cores)", "MEMORY(bytes)"])
        name, cpu, memory = rows[0]
        self.assertEqual(name, "busy")
        # Two containers at 250m each; the rate is over ~1s windows, so allow rounding.
        self.assertAlmostEqual(millicores(cpu), 500, delta=10)
        self.assertEqual(mebibytes(memory), 128)

    def test_top_pod_containers_lists_each_container(self):
        header, rows = poll_top(self.c, ["pod", "-l", "app=busy", "--containers"], 2)
        self.assertEqual(header, ["POD", "NAME", "CPU(cores)", "MEMORY(bytes)"])
        by_name = {r[1]: r for r in rows}
        self.assertEqual(sorted(by_name), ["app", "side"])
        for r in rows:
            self.assertEqual(r[0], "busy")
            self.assertAlmostEqual(millicores(r[2]), 250, delta=5)
            self.assertEqual(mebibytes(r[3]), 64)

    def test_top_node_shows_the_local_node(self):
        header, rows = poll_top(self.c, ["node"], 1)
        self.assertEqual(header[:3], ["NAME", "CPU(cores)", "CPU(%)"])
        self.assertNotIn("<unknown>", rows[0])
        self.assertRegex(rows[0][1], r"^\d+m?$")
        self.assertRegex(rows[0][3], r"^\d+Mi$")

    def test_pods_without_metrics_yet_are_reported_as_such(self):
        r = self.c.kubectl("top", "pod", "does-not-exist", check=False)
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("not found", r.stderr)


@unittest.skipUnless(runc_cluster_available(), "needs root and " + ", ".join(TOOLS))
class RuncMetricsTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.node = RuncCluster("metrics-e2e", salt=7,
                               extra_args=("--metrics-resolution", "1s"))
        cls.c = cls.node.cluster

    @classmethod
    def tearDownClass(cls):
        cls.node.stop()

    def test_a_spinning_busybox_shows_cpu_and_memory_from_its_cgroup(self):
        self.c.kubectl("create", "-f", "-", input=BURN_POD)
        self.node.wait_phase("burn", ("Running",))
        deadline = time.time() + 60
        cpu = 0
        while time.time() < deadline:
            _, rows = poll_top(self.c, ["pod", "burn"], 1)
            cpu = millicores(rows[0][1])
            if cpu >= 10:
                break
            time.sleep(1)
        # A spinning shell takes what the (shared, loaded) CPUs give it: well above idle.
        self.assertGreaterEqual(cpu, 10)
        self.assertRegex(rows[0][2], r"^\d+Mi$")
        # kubectl rounds to Mi; the API has the bytes of the cgroup's working set.
        raw = json.loads(self.c.kubectl(
            "get", "--raw", "/apis/metrics.k8s.io/v1beta1/namespaces/default/pods/burn"))
        usage = raw["containers"][0]["usage"]
        self.assertNotEqual(usage["memory"], "0")
        self.assertRegex(usage["memory"], r"^[1-9]\d*(Ki|Mi)?$")
        _, nodes = poll_top(self.c, ["node"], 1)
        self.assertEqual(nodes[0][0], "metrics-e2e")


if __name__ == "__main__":
    unittest.main()
