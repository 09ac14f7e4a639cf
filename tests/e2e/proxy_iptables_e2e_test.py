"""End-to-end: proxy_e2e_test.py's walkthrough (random balancing, a deleted backend, NodePort
from a pod and from the host, connection refused without endpoints, clean-up on stop) with the
local agent's service proxy in its iptables mode. Needs root, the runc tools (node_fixture.py),
iptables-restore and iptables-save; skipped otherwise.
"""
import os
import shutil
import subprocess
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(__file__))
import proxy_e2e_test as base  # noqa: E402  (not `from`: unittest would run its class here too)


def iptables_chains():
    """Names of every chain iptables-save lists, over all tables."""
    out = subprocess.run(["iptables-save"], capture_output=True, text=True).stdout
    return {line[1:].split()[0] for line in out.splitlines() if line.startswith(":")}


@unittest.skipUnless(shutil.which("iptables-restore") and shutil.which("iptables-save"),
                     "needs iptables-restore and iptables-save")
class IptablesProxyTest(base.ProxyTest):
    # Service addresses of their own: parallel clusters must not answer each other's VIPs.
    NAME, SALT = "proxy-iptables-e2e", 8
    EXTRA_ARGS = ("--proxy-mode", "iptables", "--service-cluster-ip-range", "10.251.8.0/24")

    @classmethod
    def setUpClass(cls):
        before = iptables_chains()
        cls.own_chains = set()
        super().setUpClass()
        # The proxy's chains (among them the nat and filter *SERVICES ones) come with its first
        # sync, which may follow the server's readiness by a moment.
        deadline = time.time() + 30
        while time.time() < deadline and not cls.own_chains:
            cls.own_chains = {c for c in iptables_chains() - before if c.endswith("SERVICES")}
            time.sleep(0.2)
        if not cls.own_chains:
            cls.node.stop()
            raise AssertionError("the iptables proxy made no *SERVICES chain")

    @classmethod
    def plane_exists(cls):
        return bool(cls.own_chains & iptables_chains())


if __name__ == "__main__":
    unittest.main()
