"""End-to-end: `kubectl logs`, `exec` (also `-it` on a real terminal), `attach` and `cp` against
real runc containers, with kubectl 1.32 (WebSocket) and 1.20 (SPDY/3.1).

The API server proxies pods/log, exec and attach to the server's local node agent
(core/apiserver/node_proxy.h <-> core/agent/server), which reads the CRI logs and runs
processes in the containers (a terminal: plugins/runtime/runc/tty_exec.h).
Uses node_fixture.RuncCluster (registry + runc agent); needs root,
runc, umoci, skopeo, docker-registry and busybox; skipped without them.
"""
import fcntl
import json
import os
import pty
import select
import shutil
import struct
import subprocess
import tempfile
import termios
import time
import unittest

from capstan_cluster import read_until
from node_fixture import RuncCluster, TOOLS, runc_cluster_available

KUBECTL = shutil.which("kubectl") or "/usr/bin/kubectl"  # 1.32: exec over WebSocket
KUBECTL_120 = "/opt/capstan/kubectl-1.20/usr/bin/kubectl"  # exec over SPDY/3.1


@unittest.skipUnless(runc_cluster_available(), "needs root and " + ", ".join(TOOLS))
class StreamingTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.node = RuncCluster("stream-e2e", salt=7)
        cls.cluster = cls.node.cluster
        if not cls.agent_endpoint_published():
            cls.node.stop()
            raise unittest.SkipTest("the node agent publishes no streaming endpoint")
        # One long-running pod with two containers, shared by the tests below.
        cls.cluster.kubectl("apply", "-f", "-", input=json.dumps({
            "apiVersion": "v1", "kind": "Pod", "metadata": {"name": "talker"},
            "spec": {"containers": [
                {"name": "main", "image": "busybox",
                 "command": ["sh", "-c", "echo one; echo two; echo three; "
                             "while true; do if [ -f /more ]; then echo later-line; "
                             "rm /more; fi; sleep 0.2; done"]},
                {"name": "side", "image": "busybox",
                 "command": ["sh", "-c", "echo side-says-hi; exec sleep 100000"]}]}}))
        cls.node.wait_phase("talker", ("Running",))

    @classmethod
    def agent_endpoint_published(cls):
        """True once the Node carries the agent's endpoint (annotation or daemon port)."""
        deadline = time.time() + 30
        while time.time() < deadline:
            r = cls.cluster.kubectl("get", "node", "stream-e2e", "-o", "json", check=False)
            if r.returncode == 0:
                node = json.loads(r.stdout)
                annotations = node["metadata"].get("annotations") or {}
                port = node.get("status", {}).get("daemonEndpoints", {}).get(
                    "kubeletEndpoint", {}).get("Port", 0)
                if annotations.get("node.capstan.io/agent-endpoint") or port:
                    return True
                if node.get("status", {}).get("conditions"):
                    return False  # registered and reporting, but without an endpoint
            time.sleep(0.3)
        return False

    @classmethod
    def tearDownClass(cls):
        cls.node.stop()

    def kubectl(self, *args, **kw):
        return self.cluster.kubectl(*args, **kw)

    def wait_logs(self, *args, want):
        """Polls `kubectl logs args` until `want` is in the output (the container may just have
        started); returns the output."""
        out = ""
        deadline = time.time() + 30
        while time.time() < deadline:
            r = self.kubectl("logs", *args, check=False)
            out = r.stdout
            if r.returncode == 0 and want in out:
                return out
            time.sleep(0.3)
        self.fail("kubectl logs %s: %r; stderr %r" % (" ".join(args), out, r.stderr))

    def test_logs_plain_tail_timestamps_and_container(self):
        out = self.wait_logs("talker", "-c", "main", want="three")
        self.assertEqual(out.splitlines()[:3], ["one", "two", "three"])
        tail = self.kubectl("logs", "talker", "-c", "main", "--tail=1")
        self.assertEqual(tail.splitlines(), out.splitlines()[-1:])  # the follow test may add
        stamped = self.kubectl("logs", "talker", "-c", "main", "--timestamps")
        first = stamped.splitlines()[0]
        stamp, _, text = first.partition(" ")
        self.assertEqual(text, "one")
        self.assertRegex(stamp, r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$")
        side = self.wait_logs("talker", "-c", "side", want="side-says-hi")
        self.assertEqual(side.strip(), "side-says-hi")

    def test_logs_errors(self):
        r = self.kubectl("logs", "talker", "-c", "nope", check=False)
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("container nope is not valid for pod talker", r.stderr)
        r = self.kubectl("logs", "no-such-pod", check=False)
        self.assertIn("NotFound", r.stderr)

    def test_logs_follow_sees_a_later_line(self):
        self.wait_logs("talker", "-c", "main", want="three")
        proc = self.cluster.popen_kubectl("logs", "-f", "talker", "-c", "main")
        try:
            seen = b""
            deadline = time.time() + 30
            poked = False
            fd = proc.stdout.fileno()  # raw reads: select() does not see a file object's buffer
            while time.time() < deadline and b"later-line" not in seen:
                ready, _, _ = select.select([fd], [], [], 0.5)
                if ready:
                    chunk = os.read(fd, 65536)
                    if not chunk:
                        break
                    seen += chunk
                if b"three" in seen and not poked:
                    self.kubectl("exec", "talker", "-c", "main", "--", "touch", "/more")
                    poked = True
            self.assertIn(b"later-line", seen)
        finally:
            proc.kill()
            proc.wait()
            proc.stdout.close()

    def test_logs_previous_after_a_restart(self):
        self.kubectl("apply", "-f", "-", input=json.dumps({
            "apiVersion": "v1", "kind": "Pod", "metadata": {"name": "restarter"},
            "spec": {"restartPolicy": "Always", "containers": [
                {"name": "c", "image": "busybox",
                 "command": ["sh", "-c", "echo run-$(date +%s); sleep 1; exit 1"]}]}}))

        def restarted():
            pod = json.loads(self.kubectl("get", "pod", "restarter", "-o", "json"))
            st = pod.get("status", {}).get("containerStatuses") or [{}]
            return st[0].get("restartCount", 0) >= 1
        self.cluster.wait_for(restarted, timeout=90, what="a restart of restarter")
        previous = self.wait_logs("restarter", "--previous", want="run-")
        self.assertRegex(previous.strip(), r"^run-\d+$")
        self.kubectl("delete", "pod", "restarter", "--wait=false")

    def test_exec_output_and_exit_code(self):
        r = self.kubectl("exec", "talker", "-c", "main", "--", "sh", "-c", "echo hi; exit 3",
                         check=False)
        self.assertEqual(r.stdout, "hi\n", r.stderr)
        self.assertEqual(r.returncode, 3, r.stderr)
        ok = self.kubectl("exec", "talker", "-c", "side", "--", "sh", "-c", "echo out; echo err >&2",
                          check=False)
        self.assertEqual((ok.returncode, ok.stdout), (0, "out\n"), ok.stderr)
        self.assertIn("err", ok.stderr)

    def test_exec_with_stdin(self):
        data = "".join("line %d\n" % i for i in range(2000))
        out = self.kubectl("exec", "-i", "talker", "-c", "main", "--", "cat", input=data)
        self.assertEqual(out, data)

    def exec_in_a_terminal(self, kubectl):
        session = TerminalSession([kubectl, "exec", "-it", "talker", "-c", "main", "--", "sh"],
                                  self.cluster.env, columns=77, rows=19)
        try:
            session.read_until(b"#")  # the prompt; typing earlier would work too
            session.write(b"tty; echo $((6*7)); stty size; exit 3\n")
            code = session.wait()
        finally:
            session.close()
        self.assertIn(b"/dev/pts/", session.out)
        self.assertNotIn(b"not a tty", session.out)
        self.assertIn(b"42", session.out)
        self.assertIn(b"19 77", session.out)  # kubectl's terminal size reached the pty
        self.assertEqual(code, 3, session.out)

    def test_exec_with_a_tty_over_websocket(self):
        self.exec_in_a_terminal(KUBECTL)

    @unittest.skipUnless(os.access(KUBECTL_120, os.X_OK), "needs kubectl 1.20 (SPDY)")
    def test_exec_with_a_tty_over_spdy(self):
        self.exec_in_a_terminal(KUBECTL_120)

    def attach_sees_new_output(self, kubectl):
        """`kubectl attach` (output only; stdin: attach_e2e_test.py) shows what the container
        prints after the attach began."""
        proc = subprocess.Popen([kubectl, "attach", "talker", "-c", "main"],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                env=self.cluster.env)
        try:
            seen = read_until(proc, b"later-line", lambda: self.kubectl(
                "exec", "talker", "-c", "main", "--", "touch", "/more"))
        finally:
            proc.kill()
            proc.wait()
            err = proc.stderr.read()
            proc.stdout.close()
            proc.stderr.close()
        self.assertIn(b"later-line", seen, err)
        self.assertNotIn(b"one\n", seen)  # the log from before the attach is not replayed

    def test_attach_over_websocket(self):
        self.attach_sees_new_output(KUBECTL)

    @unittest.skipUnless(os.access(KUBECTL_120, os.X_OK), "needs kubectl 1.20 (SPDY)")
    def test_attach_over_spdy(self):
        self.attach_sees_new_output(KUBECTL_120)

    def copy_round_trip(self, kubectl, name):
        # kubectl cp runs `tar` in the container; the fixture's image links only a few applets
        # and has no /tmp.
        self.kubectl("exec", "talker", "-c", "main", "--", "sh", "-c",
                     "ln -sf busybox /bin/tar; mkdir -p /tmp")
        data = os.urandom(256 * 1024) + b"\n".join(b"line %d" % i for i in range(5000))
        with tempfile.TemporaryDirectory() as d:
            src, back = os.path.join(d, "in.bin"), os.path.join(d, "back.bin")
            with open(src, "wb") as f:
                f.write(data)
            for args in (("cp", src, "talker:/tmp/" + name, "-c", "main"),
                         ("cp", "talker:/tmp/" + name, back, "-c", "main")):
                r = subprocess.run([kubectl, *args], capture_output=True, text=True,
                                   env=self.cluster.env, timeout=60, check=False)
                self.assertEqual(r.returncode, 0, "%s: %s" % (" ".join(args), r.stderr))
            with open(back, "rb") as f:
                self.assertEqual(f.read(), data)
        size = self.kubectl("exec", "talker", "-c", "main", "--", "sh", "-c",
                            "wc -c < /tmp/" + name)
        self.assertEqual(int(size.split()[0]), len(data))

    def test_cp_into_a_pod_and_back_over_websocket(self):
        self.copy_round_trip(KUBECTL, "copied-ws.bin")

    @unittest.skipUnless(os.access(KUBECTL_120, os.X_OK), "needs kubectl 1.20 (SPDY)")
    def test_cp_into_a_pod_and_back_over_spdy(self):
        self.copy_round_trip(KUBECTL_120, "copied-spdy.bin")


class TerminalSession:
    """A command on a pseudo-terminal of its own, sized `columns` x `rows` before it starts,
    so kubectl sees a real terminal on stdin and stdout; `out` collects what it printed."""

    def __init__(self, argv, env, columns=80, rows=24):
        self.fd, slave = pty.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", rows, columns, 0, 0))
        try:
            self.proc = subprocess.Popen(argv, stdin=slave, stdout=slave, stderr=slave, env=env,
                                         start_new_session=True)
        finally:
            os.close(slave)
        self.out = b""

    def read_until(self, token, timeout=20):
        """Reads until `token` was printed, the command closed the terminal or `timeout`."""
        deadline = time.time() + timeout
        while time.time() < deadline and (token is None or token not in self.out):
            ready, _, _ = select.select([self.fd], [], [], 0.2)
            if not ready:
                continue
            try:
                chunk = os.read(self.fd, 65536)
            except OSError:  # EIO: every holder of the terminal's other side is gone
                return False
            if not chunk:
                return False
            self.out += chunk
        return token is not None and token in self.out

    def write(self, data):
        os.write(self.fd, data)

    def wait(self, timeout=30):
        """Reads everything until the command exits; its exit code (None when killed here)."""
        deadline = time.time() + timeout
        while time.time() < deadline and self.proc.poll() is None:
            self.read_until(None, timeout=0.5)
        self.read_until(None, timeout=0.5)  # what it printed last
        if self.proc.poll() is None:  # still attached: do not hang the suite
            self.proc.kill()
            self.proc.wait()
            return None
        return self.proc.returncode

    def close(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        os.close(self.fd)


if __name__ == "__main__":
    unittest.main()
