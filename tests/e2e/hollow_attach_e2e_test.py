"""End-to-end: `kubectl run -i` and `kubectl attach -i` against pods of the `fake` runtime.

A simulated container created with stdin echoes what an attach sends into its log, as `cat`
would (plugins/runtime/fake/fake_attach.cc), so attach works on hollow nodes without any process:
the agent passes the session's stdin to the runtime and shows the container's log.
"""
import json
import os
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from capstan_cluster import Cluster, attach_and_type  # noqa: E402

KUBECTL_120 = "/opt/capstan/kubectl-1.20/usr/bin/kubectl"  # attach over SPDY/3.1

ECHOER = """
apiVersion: v1
kind: Pod
metadata:
  name: echoer
spec:
  containers:
  - name: main
    image: busybox
    stdin: true
"""


class HollowAttachTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.c = Cluster(extra_args=["--runtime", "fake"], agent=True)

    @classmethod
    def tearDownClass(cls):
        cls.c.stop()

    def test_run_i_echoes_the_input_and_the_pod_succeeds(self):
        r = subprocess.run(
            ["kubectl", "run", "reader", "-i", "--restart=Never", "--image=busybox"],
            input="hello hollow\n", capture_output=True, text=True, env=self.c.env, timeout=90,
            check=False)
        self.assertIn("hello hollow", r.stdout, r.stderr)
        self.assertEqual(r.returncode, 0, r.stderr)
        # The end of the input closed the container's stdin (stdinOnce): `cat` exits 0.
        self.c.wait_for(lambda: json.loads(self.c.kubectl("get", "pod", "reader", "-o", "json"))
                        ["status"].get("phase") == "Succeeded", timeout=30,
                        what="reader Succeeded")

    def attach_echoes(self, kubectl, token):
        want = token
        seen, code, err = attach_and_type(kubectl, "echoer", "main", self.c.env, token, want)
        self.assertIn(want, seen, err)
        self.assertEqual(code, 0, err)
        pod = json.loads(self.c.kubectl("get", "pod", "echoer", "-o", "json"))
        self.assertIn("running", pod["status"]["containerStatuses"][0]["state"])

    def start_echoer(self):
        if self.c.kubectl("get", "pod", "echoer", check=False).returncode != 0:
            self.c.kubectl("create", "-f", "-", input=ECHOER)
        self.c.kubectl("wait", "--for=condition=Ready", "--timeout=30s", "pod/echoer")

    def test_attach_i_over_websocket(self):
        self.start_echoer()
        self.attach_echoes("kubectl", b"ping-ws")

    @unittest.skipUnless(os.path.exists(KUBECTL_120), "kubectl 1.20 is not installed")
    def test_attach_i_over_spdy(self):
        self.start_echoer()
        self.attach_echoes(KUBECTL_120, b"ping-spdy")


if __name__ == "__main__":
    unittest.main()
