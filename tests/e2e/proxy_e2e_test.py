"""End-to-end: the service proxy of the server's local agent with real runc pods, in its default
nftables mode (proxy_iptables_e2e_test.py and proxy_userspace_e2e_test.py run it in the others).

A Deployment of busybox pods serving their hostname is exposed as a Service; a client pod runs
busybox httpd with a CGI script that fetches a URL given in its query string, so the test drives
pod -> service traffic from the host over the test's own bridge (no exec needed). Checks random
balancing over both backends, a deleted backend, NodePort (from a pod and from the host through
the node's address on the bridge), scale to 0 -> connection refused, and that the table is gone
after the server stops. Needs root, nft and the runc tools (node_fixture.py); skipped otherwise.
Loopback NodePorts (127.0.0.1:<nodePort>) are not served, as in kube-proxy's nftables mode: DNAT
of a 127.0.0.0/8 source off the loopback device needs route_localnet, a host-wide setting.
"""
import json
import os
import shutil
import subprocess
import sys
import time
import unittest
import urllib.request

sys.path.insert(0, os.path.dirname(__file__))
from node_fixture import RuncCluster, TOOLS, runc_cluster_available  # noqa: E402

WEB = ("mkdir -p /www && hostname > /www/index.html && exec httpd -f -p 8080 -h /www")
# The client: GET /cgi-bin/get?<host:port> answers what `wget` in the pod got (or its error).
CLIENT = ("mkdir -p /www/cgi-bin && "
          "printf '#!/bin/sh\\necho Content-Type: text/plain\\necho\\n"
          "wget -qO- http://$QUERY_STRING/ 2>&1\\necho rc=$?\\n' > /www/cgi-bin/get && "
          "/bin/busybox chmod 755 /www/cgi-bin/get && exec httpd -f -p 8081 -h /www")


def table_exists(table):
    return subprocess.run(["nft", "list", "table", "ip", table],
                          capture_output=True).returncode == 0


@unittest.skipUnless(runc_cluster_available() and shutil.which("nft"),
                     "needs root, nft and " + ", ".join(TOOLS))
class ProxyTest(unittest.TestCase):
    NAME, SALT, EXTRA_ARGS = "proxy-e2e", 7, ()

    @classmethod
    def setUpClass(cls):
        cls.node = RuncCluster(cls.NAME, salt=cls.SALT, extra_args=cls.EXTRA_ARGS)
        cls.c = cls.node.cluster

    @classmethod
    def tearDownClass(cls):
        cls.node.stop()
        # The proxy removes its data plane when the server stops.
        deadline = time.time() + 20
        while time.time() < deadline and cls.plane_exists():
            time.sleep(0.2)
        assert not cls.plane_exists(), "%s: data plane left behind" % cls.__name__

    @classmethod
    def plane_exists(cls):
        """Whether the proxy's data plane is installed (here: its nftables table)."""
        return table_exists(cls.node.proxy_table)

    def json(self, *args):
        return json.loads(self.c.kubectl(*args, "-o", "json"))

    def ready_pods(self, selector):
        pods = self.json("get", "pods", "-l", selector)["items"]
        return [p for p in pods if p.get("status", {}).get("phase") == "Running" and
                p.get("metadata", {}).get("deletionTimestamp") is None]

    def through_client(self, target):
        """What the client pod's wget got from http://<target>/ ("" when the client is down)."""
        url = "http://%s:8081/cgi-bin/get?%s" % (self.client_ip, target)
        try:
            return urllib.request.urlopen(url, timeout=10).read().decode()
        except OSError as e:
            return "client error: %s" % e

    def wait_answers(self, target, want, timeout=60):
        """Polls `target` through the client until every name in `want` answered; returns them."""
        seen, last = set(), ""
        deadline = time.time() + timeout
        while time.time() < deadline and not want <= seen:
            last = self.through_client(target)
            if "rc=0" in last:
                seen.add(last.split("\n")[0].strip())
            else:
                time.sleep(0.2)
        self.assertTrue(want <= seen, "wanted %s from %s, saw %s; last: %s\n%s" % (
            want, target, seen, last, self.c.server_log()[-3000:]))
        return seen

    def test_service_balances_follows_pods_serves_node_ports_and_rejects_when_empty(self):
        self.c.kubectl("create", "deployment", "web", "--image=busybox", "--replicas=2", "--",
                       "sh", "-c", WEB)
        self.c.kubectl("run", "client", "--image=busybox", "--restart=Never", "--",
                       "sh", "-c", CLIENT)
        self.c.kubectl("expose", "deployment", "web", "--port=80", "--target-port=8080")
        self.c.wait_for(lambda: len(self.ready_pods("app=web")) == 2, timeout=120,
                        what="2 web pods running")
        self.client_ip = self.node.wait_phase("client", ("Running",))["status"]["podIP"]
        # Pods reach services through the bridge's gateway, which must route (forward) them back
        # into the bridge. The bridge plugin does not turn forwarding on; do it for this
        # test's bridge only.
        with open("/proc/sys/net/ipv4/conf/%s/forwarding" % self.node.bridge, "w") as f:
            f.write("1")
        cluster_ip = self.json("get", "service", "web")["spec"]["clusterIP"]

        # Random balancing: both backends answer over repeated calls.
        names = {p["metadata"]["name"] for p in self.ready_pods("app=web")}
        self.wait_answers(cluster_ip, names)

        # A deleted backend: the service keeps answering, from the remaining and new pods.
        victim = sorted(names)[0]
        # httpd as PID 1 ignores SIGTERM: without a short grace period the delete waits 30 s.
        self.c.kubectl("delete", "pod", victim, "--grace-period=3", "--wait=true",
                       "--timeout=60s", timeout=90)
        self.c.wait_for(lambda: len(self.ready_pods("app=web")) == 2, timeout=120,
                        what="the replacement web pod running")
        names = {p["metadata"]["name"] for p in self.ready_pods("app=web")}
        self.assertNotIn(victim, names)
        self.wait_answers(cluster_ip, names)

        # NodePort: from a pod and from the host, through the node's address on the bridge.
        self.c.kubectl("patch", "service", "web", "-p", '{"spec": {"type": "NodePort"}}')
        node_port = self.json("get", "service", "web")["spec"]["ports"][0]["nodePort"]
        node_addr = "%s1:%d" % (self.node.subnet_prefix, node_port)
        self.wait_answers(node_addr, names)
        body = ""
        deadline = time.time() + 30
        while time.time() < deadline and body.strip() not in names:
            try:
                body = urllib.request.urlopen("http://%s/" % node_addr, timeout=5).read().decode()
            except OSError:
                time.sleep(0.2)
        self.assertIn(body.strip(), names)

        # No endpoints: refused at once (reject), as kube-proxy does.
        self.c.kubectl("scale", "deployment", "web", "--replicas=0")
        last = ""
        deadline = time.time() + 60
        while time.time() < deadline and "refused" not in last:
            last = self.through_client(cluster_ip)
            time.sleep(0.2)
        self.assertIn("refused", last)
        self.assertTrue(self.plane_exists())


if __name__ == "__main__":
    unittest.main()
