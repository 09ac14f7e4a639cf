"""End-to-end: `kubectl run -i`, `kubectl attach -i` and `kubectl attach -it` reach the stdin of
real runc containers, with kubectl 1.32 (WebSocket) and 1.20 (SPDY/3.1).

The agent passes an attach session's stdin (and terminal sizes) to the runtime's on_attach
(sdk/include/capstan/abi/runtime.h, minor 3); the runc shim keeps the stdin of containers with
`stdin: true` open and serves it on a socket (plugins/runtime/runc/shim_attach.h); the output
comes from the container's log. Uses node_fixture.RuncCluster (registry + runc agent); needs
root, runc, umoci, skopeo, docker-registry and busybox; skipped without them.
"""
import json
import os
import shutil
import subprocess
import time
import unittest

from capstan_cluster import attach_and_type
from node_fixture import RuncCluster, TOOLS, runc_cluster_available
from streaming_e2e_test import TerminalSession

KUBECTL = shutil.which("kubectl") or "/usr/bin/kubectl"  # 1.32: attach over WebSocket
KUBECTL_120 = "/opt/capstan/kubectl-1.20/usr/bin/kubectl"  # attach over SPDY/3.1


@unittest.skipUnless(runc_cluster_available(), "needs root and " + ", ".join(TOOLS))
class AttachTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.node = RuncCluster("attach-e2e", salt=8)
        cls.cluster = cls.node.cluster
        try:
            pods = [
                # stdin kept open across sessions (no stdinOnce): each line is echoed.
                {"name": "echoer", "stdin": True,
                 "command": ["sh", "-c", "while read line; do echo got:$line; done"]},
                # A shell on a terminal.
                {"name": "shell", "stdin": True, "tty": True, "command": ["sh"]},
            ]
            for p in pods:
                name = p.pop("name")
                cls.cluster.kubectl("apply", "-f", "-", input=json.dumps({
                    "apiVersion": "v1", "kind": "Pod", "metadata": {"name": name},
                    "spec": {"containers": [dict(name="main", image="busybox", **p)]}}))
            for name in ("echoer", "shell"):
                cls.node.wait_phase(name, ("Running",))
        except Exception:
            cls.node.stop()
            raise

    @classmethod
    def tearDownClass(cls):
        cls.node.stop()

    def test_run_i_feeds_stdin_once_and_shows_the_output(self):
        # kubectl run -i creates the pod with stdin and stdinOnce, attaches, sends its input; the
        # end of the input closes the container's stdin, and the session shows the output until
        # the container ends.
        r = subprocess.run(
            [KUBECTL, "run", "reader", "-i", "--restart=Never", "--image=busybox", "--",
             "sh", "-c", "read line; echo got:$line; read rest || echo stdin-closed"],
            input="hello\n", capture_output=True, text=True, env=self.cluster.env, timeout=90,
            check=False)
        self.assertIn("got:hello", r.stdout, r.stderr)
        self.assertIn("stdin-closed", r.stdout, r.stderr)
        self.assertEqual(r.returncode, 0, r.stderr)
        pod = json.loads(self.cluster.kubectl("get", "pod", "reader", "-o", "json"))
        main = pod["spec"]["containers"][0]
        self.assertTrue(main.get("stdin") and main.get("stdinOnce"), main)

    def attach_echoes(self, kubectl, token):
        """`kubectl attach -i echoer` with a pipe as stdin: every line comes back as got:<line>
        (from the container's log); closing stdin ends the session."""
        want = b"got:" + token
        seen, code, err = attach_and_type(kubectl, "echoer", "main", self.cluster.env, token, want)
        self.assertIn(want, seen, err)
        self.assertEqual(code, 0, err)
        # The container outlives the session, its stdin still open for the next one.
        pod = json.loads(self.cluster.kubectl("get", "pod", "echoer", "-o", "json"))
        self.assertIn("running", pod["status"]["containerStatuses"][0]["state"])

    def test_attach_i_over_websocket(self):
        self.attach_echoes(KUBECTL, b"ping-ws")

    @unittest.skipUnless(os.access(KUBECTL_120, os.X_OK), "needs kubectl 1.20 (SPDY)")
    def test_attach_i_over_spdy(self):
        self.attach_echoes(KUBECTL_120, b"ping-spdy")

    def attach_to_a_terminal(self, kubectl, columns, rows):
        session = TerminalSession([kubectl, "attach", "-it", "shell", "-c", "main"],
                                  self.cluster.env, columns=columns, rows=rows)
        want = b"%d %d" % (rows, columns)
        try:
            deadline = time.time() + 30
            next_line = 0
            while time.time() < deadline and want not in session.out:
                if time.time() >= next_line:  # typing before the session is up is not lost,
                    session.write(b"echo $((6*7)); busybox stty size\n")  # but its echo may be
                    next_line = time.time() + 3
                session.read_until(want, timeout=0.5)
        finally:
            session.close()
        self.assertIn(want, session.out)  # kubectl's terminal size reached the container's pty
        self.assertIn(b"42", session.out)

    def test_attach_it_over_websocket(self):
        self.attach_to_a_terminal(KUBECTL, 93, 27)

    @unittest.skipUnless(os.access(KUBECTL_120, os.X_OK), "needs kubectl 1.20 (SPDY)")
    def test_attach_it_over_spdy(self):
        self.attach_to_a_terminal(KUBECTL_120, 85, 21)


if __name__ == "__main__":
    unittest.main()
