"""End-to-end: NetworkPolicy enforcement by the server's local agent with real runc pods.

A busybox httpd server pod and two client pods (one labelled access=true) on the test's own
bridge; each client runs httpd with a CGI script that fetches a URL given in its query string,
so the test drives pod -> pod traffic from the host (host -> pod traffic is node traffic and
stays allowed under any policy, which the test relies on). Checks: open by default, a
default-deny ingress policy blocks both clients, a policy allowing pods labelled access=true lets
only the labelled client through, deleting the policies restores access, an egress deny policy
on the clients blocks them and its deletion restores them, and the agent's nftables table is
gone after the server stops. Needs root, nft and the runc tools (node_fixture.py).
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

WEB = "mkdir -p /www && echo hello-from-web > /www/index.html && exec httpd -f -p 8080 -h /www"
# GET /cgi-bin/get?<host:port> answers what `wget` in the pod got (or its error) and its rc;
# `timeout` rather than wget's -T, which crashes Debian's busybox 1.35.
CLIENT = ("mkdir -p /www/cgi-bin && "
          "printf '#!/bin/sh\\necho Content-Type: text/plain\\necho\\n"
          "/bin/busybox timeout 3 wget -qO- http://$QUERY_STRING/ 2>&1\\necho rc=$?\\n' > /www/cgi-bin/get && "
          "/bin/busybox chmod 755 /www/cgi-bin/get && exec httpd -f -p 8081 -h /www")


def table_exists(table):
    return subprocess.run(["nft", "list", "table", "inet", table],
                          capture_output=True).returncode == 0


@unittest.skipUnless(runc_cluster_available() and shutil.which("nft"),
                     "needs root, nft and " + ", ".join(TOOLS))
class NetworkPolicyTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.table = "capstan-netpol-e2e-%d" % os.getpid()
        cls.node = RuncCluster("netpol-e2e", salt=3,
                               extra_args=("--network-policy", "nftables",
                                           "--network-policy-table", cls.table))
        cls.c = cls.node.cluster

    @classmethod
    def tearDownClass(cls):
        cls.node.stop()
        # The agent deletes its table when the server stops.
        deadline = time.time() + 20
        while time.time() < deadline and table_exists(cls.table):
            time.sleep(0.2)
        assert not table_exists(cls.table), "table %s left behind" % cls.table

    def fetch(self, client, target):
        """What `client`'s wget got from http://<target>/ and its rc."""
        url = "http://%s:8081/cgi-bin/get?%s" % (self.ips[client], target)
        try:
            return urllib.request.urlopen(url, timeout=10).read().decode()
        except OSError as e:
            return "client error: %s" % e

    def wait_reach(self, client, want, timeout=60):
        """Polls until `client` reaches the web pod (want True) or is refused/times out."""
        target = "%s:8080" % self.ips["web"]
        last = ""
        deadline = time.time() + timeout
        while time.time() < deadline:
            last = self.fetch(client, target)
            if want and "hello-from-web" in last and "rc=0" in last:
                return
            if not want and "rc=" in last and "rc=0" not in last:
                return
            time.sleep(0.2)
        self.fail("%s: wanted reach=%s, last answer: %s\n%s" % (
            client, want, last, self.c.server_log()[-3000:]))

    def test_default_deny_label_allow_delete_restore_and_egress_deny(self):
        self.c.kubectl("run", "web", "--image=busybox", "--restart=Never", "--labels=app=web",
                       "--", "sh", "-c", WEB)
        self.c.kubectl("run", "client-ok", "--image=busybox", "--restart=Never",
                       "--labels=app=client,access=true", "--", "sh", "-c", CLIENT)
        self.c.kubectl("run", "client-no", "--image=busybox", "--restart=Never",
                       "--labels=app=client", "--", "sh", "-c", CLIENT)
        self.ips = {}
        for name in ("web", "client-ok", "client-no"):
            self.ips[name] = self.node.wait_phase(name, ("Running",))["status"]["podIP"]

        # No policy: both clients reach the server.
        self.wait_reach("client-ok", True)
        self.wait_reach("client-no", True)

        # Default deny ingress for every pod of the namespace.
        self.c.kubectl("apply", "-f", self.manifest("default-deny", {
            "podSelector": {}, "policyTypes": ["Ingress"]}))
        self.wait_reach("client-ok", False)
        self.wait_reach("client-no", False)

        # Pods labelled access=true may reach the web pods on 8080.
        self.c.kubectl("apply", "-f", self.manifest("allow-access", {
            "podSelector": {"matchLabels": {"app": "web"}},
            "ingress": [{"from": [{"podSelector": {"matchLabels": {"access": "true"}}}],
                         "ports": [{"protocol": "TCP", "port": 8080}]}]}))
        self.wait_reach("client-ok", True)
        self.wait_reach("client-no", False)

        # Deleting the policies restores access.
        self.c.kubectl("delete", "networkpolicy", "default-deny", "allow-access")
        self.wait_reach("client-no", True)
        self.wait_reach("client-ok", True)

        # Egress deny for the clients, then its deletion.
        self.c.kubectl("apply", "-f", self.manifest("client-egress-deny", {
            "podSelector": {"matchLabels": {"app": "client"}}, "policyTypes": ["Egress"]}))
        self.wait_reach("client-ok", False)
        self.wait_reach("client-no", False)
        self.c.kubectl("delete", "networkpolicy", "client-egress-deny")
        self.wait_reach("client-ok", True)
        self.assertTrue(table_exists(self.table))

    def manifest(self, name, spec):
        path = os.path.join(self.node.tmp, name + ".json")
        with open(path, "w") as f:
            json.dump({"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
                       "metadata": {"name": name, "namespace": "default"}, "spec": spec}, f)
        return path


if __name__ == "__main__":
    unittest.main()
