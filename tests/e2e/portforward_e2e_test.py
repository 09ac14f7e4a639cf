"""End-to-end: `kubectl port-forward` and SPDY exec against real runc containers.

kubectl 1.32 port-forwards over its WebSocket tunnel (SPDY/3.1 inside binary messages) and,
with KUBECTL_PORT_FORWARD_WEBSOCKETS=false, over a plain SPDY/3.1 upgrade; kubectl 1.20 uses
plain SPDY for both port-forward and exec. The API server splices the upgrade to the node
agent (core/agent/server/port_forward.h, spdy_exec.h), which dials the port inside the pod's
network namespace, so a server bound to 127.0.0.1 in the pod is reachable. Uses
node_fixture.RuncCluster; skipped without root and its tools. The agent side has its own tests:
tests/core/agent/server/port_forward_test.cc and spdy_exec_test.cc.
"""
import json
import os
import select
import subprocess
import time
import unittest

from node_fixture import RuncCluster, TOOLS, runc_cluster_available

KUBECTL_120 = "/opt/capstan/kubectl-1.20/usr/bin/kubectl"
PAGE = "hello-from-the-pod"


@unittest.skipUnless(runc_cluster_available(), "needs root and " + ", ".join(TOOLS))
class PortForwardTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.node = RuncCluster("pf-e2e", salt=5)
        cls.cluster = cls.node.cluster
        try:
            # httpd on 8080 (all addresses, daemonised) and on 127.0.0.1:8081 (foreground).
            cls.cluster.kubectl("apply", "-f", "-", input=json.dumps({
                "apiVersion": "v1", "kind": "Pod", "metadata": {"name": "web"},
                "spec": {"containers": [{
                    "name": "httpd", "image": "busybox",
                    "command": ["sh", "-c",
                                "mkdir -p /www && echo %s > /www/index.html && "
                                "httpd -p 8080 -h /www && "
                                "exec httpd -f -p 127.0.0.1:8081 -h /www" % PAGE]}]}}))
            cls.node.wait_phase("web", ("Running",))
        except Exception:
            cls.node.stop()
            raise

    @classmethod
    def tearDownClass(cls):
        cls.node.stop()

    def setUp(self):
        self.procs = []

    def tearDown(self):
        for p in self.procs:
            if p.poll() is None:
                p.kill()
            p.wait(timeout=10)
            p.stdout.close()

    def port_forward(self, remote, kubectl="kubectl", env=None):
        """Starts `kubectl port-forward pod/web :remote`; returns (process, local port)."""
        p = subprocess.Popen([kubectl, "port-forward", "--address", "127.0.0.1", "pod/web",
                              ":%d" % remote], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                             text=True, env=dict(self.cluster.env, **(env or {})))
        self.procs.append(p)
        deadline = time.time() + 30
        seen = ""
        while time.time() < deadline:
            ready, _, _ = select.select([p.stdout], [], [], 0.5)
            if ready:
                line = p.stdout.readline()
                seen += line
                if line.startswith("Forwarding from 127.0.0.1:"):
                    return p, int(line.split("127.0.0.1:")[1].split()[0])
                if not line:
                    break
        self.fail("kubectl port-forward did not start: %r\n%s" %
                  (seen, self.cluster.server_log()[-3000:]))

    def curl(self, port, check=True):
        r = subprocess.run(["curl", "-sS", "--max-time", "15",
                            "http://127.0.0.1:%d/index.html" % port],
                           capture_output=True, text=True, timeout=30)
        if check:
            self.assertEqual(r.returncode, 0, r.stderr)
        return r

    def assert_two_connections_work(self, remote, **kw):
        _, port = self.port_forward(remote, **kw)
        for _ in range(2):
            self.assertEqual(self.curl(port).stdout.strip(), PAGE)

    def test_port_forward_over_the_websocket_tunnel_serves_two_connections(self):
        self.assert_two_connections_work(8080)

    def test_port_forward_reaches_a_server_bound_to_localhost_in_the_pod(self):
        self.assert_two_connections_work(8081)

    def test_port_forward_over_plain_spdy_serves_two_connections(self):
        self.assert_two_connections_work(8080, env={"KUBECTL_PORT_FORWARD_WEBSOCKETS": "false"})

    def test_port_forward_to_a_closed_port_reports_connection_refused(self):
        p, port = self.port_forward(8099)
        self.assertNotEqual(self.curl(port, check=False).returncode, 0)
        # kubectl prints the error it read from the error stream.
        out = ""
        deadline = time.time() + 20
        while time.time() < deadline and "connection refused" not in out:
            ready, _, _ = select.select([p.stdout], [], [], 0.5)
            if ready:
                line = p.stdout.readline()
                if not line:
                    break
                out += line
        self.assertIn("connection refused", out)

    @unittest.skipUnless(os.path.exists(KUBECTL_120), "needs kubectl 1.20")
    def test_kubectl_1_20_port_forwards_over_spdy(self):
        self.assert_two_connections_work(8080, kubectl=KUBECTL_120)

    @unittest.skipUnless(os.path.exists(KUBECTL_120), "needs kubectl 1.20")
    def test_kubectl_1_20_execs_over_spdy(self):
        r = subprocess.run([KUBECTL_120, "exec", "web", "--", "echo", "hi"],
                           capture_output=True, text=True, env=self.cluster.env, timeout=60)
        self.assertEqual((r.returncode, r.stdout), (0, "hi\n"), r.stderr)
        r = subprocess.run([KUBECTL_120, "exec", "-i", "web", "--", "sh", "-c",
                            "cat; exit 3"], input="from-stdin\n", capture_output=True,
                           text=True, env=self.cluster.env, timeout=60)
        self.assertEqual((r.returncode, r.stdout), (3, "from-stdin\n"), r.stderr)

    def test_exec_falls_back_to_spdy_without_websockets(self):
        r = self.cluster.kubectl("exec", "web", "--", "sh", "-c", "echo out; echo err >&2",
                                 check=False)
        self.assertEqual(r.returncode, 0, r.stderr)
        env = dict(self.cluster.env, KUBECTL_REMOTE_COMMAND_WEBSOCKETS="false")
        r = subprocess.run(["kubectl", "exec", "web", "--", "sh", "-c",
                            "echo out; echo err >&2; exit 4"],
                           capture_output=True, text=True, env=env, timeout=60)
        self.assertEqual((r.returncode, r.stdout), (4, "out\n"), r.stderr)
        self.assertEqual(r.stderr.splitlines()[:1], ["err"])


if __name__ == "__main__":
    unittest.main()
