"""End-to-end: proxy_e2e_test.py's walkthrough (random balancing, a deleted backend, NodePort
from a pod and from the host, connection refused without endpoints, clean-up on stop) with the
local agent's service proxy in its userspace mode. Needs root and the runc tools
(node_fixture.py); skipped otherwise.
"""
import os
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.dirname(__file__))
import proxy_e2e_test as base  # noqa: E402  (not `from`: unittest would run its class here too)


class UserspaceProxyTest(base.ProxyTest):
    NAME, SALT = "proxy-userspace-e2e", 9
    EXTRA_ARGS = ("--proxy-mode", "userspace", "--service-cluster-ip-range", "10.251.9.0/24")

    @classmethod
    def plane_exists(cls):
        """Whether a link holds the service addresses (the userspace mode's dummy link)."""
        out = subprocess.run(["ip", "-4", "-o", "addr", "show"], capture_output=True,
                             text=True).stdout
        return any(" 10.251.9." in line for line in out.splitlines())


if __name__ == "__main__":
    unittest.main()
