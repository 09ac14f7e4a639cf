"""End-to-end: `capstan server --control-plane-transport` — the scheduler, the controller host
and the local node agent reach the API server in-process (the default,
core/apiserver/local_api_client.h) or over HTTPS; with either, a Deployment gets its pods
created and bound, by the same admin identity, and the local agent (fake runtime) registers its
Node and runs pods. An unknown value is a usage error."""
import json
import os
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from capstan_cluster import Cluster  # noqa: E402

NODE = """
apiVersion: v1
kind: Node
metadata: {name: n1, labels: {kubernetes.io/hostname: n1}}
status:
  capacity: {cpu: "8", memory: 16Gi, pods: "110"}
  allocatable: {cpu: "8", memory: 16Gi, pods: "110"}
  conditions: [{type: Ready, status: "True"}]
"""

DEPLOYMENT = """
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  replicas: 3
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers: [{name: c, image: busybox, resources: {requests: {cpu: 100m}}}]
"""


class TransportTest(unittest.TestCase):
    def assert_logged_transport(self, c, marker, want_transport):
        """The server logged the line with `marker` once, naming the transport."""
        lines = [l for l in c.server_log().splitlines() if marker in l]
        self.assertEqual(len(lines), 1, c.server_log()[-2000:])
        self.assertIn("transport=%s" % want_transport, lines[0])

    def run_deployment(self, extra_args, want_transport):
        c = Cluster(extra_args=extra_args)
        try:
            c.kubectl("apply", "-f", "-", input=NODE)
            c.kubectl("apply", "-f", "-", input=DEPLOYMENT)

            def bound():
                pods = json.loads(c.kubectl("get", "pods", "-l", "app=web", "-o", "json"))
                names = [p["spec"].get("nodeName") for p in pods["items"]]
                return len(names) == 3 and all(n == "n1" for n in names)

            c.wait_for(bound, timeout=60, what="3 pods bound to n1")
            c.wait_for(lambda: json.loads(c.kubectl("get", "deploy", "web", "-o", "json"))
                       .get("status", {}).get("replicas") == 3,
                       timeout=30, what="the Deployment's status")
            # The scheduler's binding was written by the admin identity in both modes.
            events = json.loads(c.kubectl("get", "events", "-o", "json"))["items"]
            self.assertTrue(any(e.get("reason") == "Scheduled" for e in events), events[:3])
            self.assert_logged_transport(c, "control plane API transport", want_transport)
        finally:
            c.stop()

    def test_in_process_is_the_default(self):
        self.run_deployment([], "in-process")

    def test_https_stays_selectable(self):
        self.run_deployment(["--control-plane-transport", "https"], "https")

    def run_local_agent_pod(self, extra_args, want_transport):
        c = Cluster(extra_args=["--runtime", "fake", "--node-name", "local", *extra_args],
                    agent=True)
        try:
            c.wait_for(lambda: "local" in c.kubectl("get", "nodes", "-o", "name"), timeout=30,
                       what="the local agent's Node")
            c.kubectl("run", "p", "--image", "busybox", "--restart", "Never")

            def running():
                pod = json.loads(c.kubectl("get", "pod", "p", "-o", "json"))
                return (pod["spec"].get("nodeName") == "local"
                        and pod.get("status", {}).get("phase") == "Running")

            c.wait_for(running, timeout=60, what="pod p Running on the local node")
            c.kubectl("delete", "pod", "p", "--wait=true", timeout=60)
            self.assert_logged_transport(c, "local agent running", want_transport)
        finally:
            c.stop()

    def test_local_agent_in_process_by_default(self):
        self.run_local_agent_pod([], "in-process")

    def test_local_agent_over_https(self):
        self.run_local_agent_pod(["--control-plane-transport", "https"], "https")

    def test_unknown_transport_is_a_usage_error(self):
        with tempfile.TemporaryDirectory() as d:
            r = subprocess.run([os.environ.get("CAPSTAN_BIN", "capstan"), "server", "--data-dir", d,
                                "--control-plane-transport", "carrier-pigeon"],
                               capture_output=True, text=True, timeout=30)
        self.assertEqual(r.returncode, 2, r.stderr)
        self.assertIn("--control-plane-transport wants in-process or https", r.stderr)


if __name__ == "__main__":
    unittest.main()
