"""End-to-end: which allocator each `capstan` process runs on (core/cmd/server_malloc.h). The
server re-executes itself with mimalloc preloaded (that its children do not inherit the preload
is tests/core/cmd/server_malloc_test.cc's); the node agent stays on glibc malloc;
CAPSTAN_MALLOC=system keeps the server on glibc. Skipped when the build has no mimalloc."""
import json
import os
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from capstan_cluster import Cluster  # noqa: E402


def libraries(pid):
    with open("/proc/%d/maps" % pid) as f:
        return {line.split()[-1] for line in f if "/" in line}


def mimalloc_loaded(pid):
    return any("libmimalloc" in path for path in libraries(pid))


def mimalloc_available():
    """Whether this build's `capstan` preloads mimalloc: its binary names the library."""
    with open(os.environ.get("CAPSTAN_BIN", "capstan"), "rb") as f:
        return b"libmimalloc" in f.read()


@unittest.skipUnless(mimalloc_available(), "this capstan build has no mimalloc (sanitizers)")
class AllocatorTest(unittest.TestCase):
    def test_server_runs_on_mimalloc_and_the_agent_on_glibc(self):
        c = Cluster()
        try:
            pid = c.proc.pid  # execv keeps the process id
            self.assertTrue(mimalloc_loaded(pid), sorted(libraries(pid)))
            self.check_agent_runs_on_glibc(c)
        finally:
            c.stop()

    def check_agent_runs_on_glibc(self, c):
        tmp = tempfile.mkdtemp(prefix="capstan-alloc-e2e-")
        log = open(os.path.join(tmp, "agent.log"), "w")
        agent = subprocess.Popen(
            [os.environ.get("CAPSTAN_BIN", "capstan"), "agent", "--kubeconfig", c.kubeconfig,
             "--node-name", "alloc-e2e", "--data-dir", tmp, "--listen-port", "0",
             "--proxy-mode", "none", "--network-policy", "none"], stdout=log, stderr=log)
        try:
            def ready():
                out = c.kubectl("get", "node", "alloc-e2e", "-o", "json", check=False)
                try:
                    return any(x["type"] == "Ready" and x["status"] == "True"
                               for x in json.loads(out.stdout)["status"]["conditions"])
                except (ValueError, KeyError, TypeError):
                    return False
            c.wait_for(ready, timeout=60, what="the agent's node Ready")
            self.assertFalse(mimalloc_loaded(agent.pid), sorted(libraries(agent.pid)))
        finally:
            agent.terminate()
            agent.wait(timeout=30)
            log.close()

    def test_capstan_malloc_system_keeps_the_server_on_glibc(self):
        os.environ["CAPSTAN_MALLOC"] = "system"
        try:
            c = Cluster()
        finally:
            del os.environ["CAPSTAN_MALLOC"]
        try:
            self.assertFalse(mimalloc_loaded(c.proc.pid), sorted(libraries(c.proc.pid)))
        finally:
            c.stop()


if __name__ == "__main__":
    unittest.main()
