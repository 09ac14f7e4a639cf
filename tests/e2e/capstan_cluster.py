"""Starts a real `capstan server` for end-to-end tests and runs real kubectl against it.

Used by the *_e2e_test.py files in this folder (each a unittest module run by ctest). The
server binary and kubectl come from the environment: CAPSTAN_BIN (set by CMake) and the
kubectl on PATH.
"""
import json
import os
import shutil
import subprocess
import tempfile
import time
import unittest


class Cluster:
    def __init__(self, extra_args=(), agent=False, node_lifecycle=None):
        """Without `agent` the server runs no local node agent (tests register nodes). Nodes
        registered by hand post no heartbeats, so the node-lifecycle controller would taint
        them and evict their pods after its grace period: it runs only with an agent unless
        `node_lifecycle` says otherwise."""
        self.dir = tempfile.mkdtemp(prefix="capstan-e2e-")
        self.log = open(os.path.join(self.dir, "server.log"), "w+")
        binary = os.environ.get("CAPSTAN_BIN", "capstan")
        agent_args = [] if agent else ["--disable-agent"]
        if not (agent if node_lifecycle is None else node_lifecycle):
            agent_args += ["--disable-controller", "node-lifecycle"]
        # Tests run servers side by side: the ingress proxy takes free ports unless asked.
        if not any(a.startswith(("--ingress", "--disable-ingress")) for a in extra_args):
            agent_args += ["--ingress-http-port", "0", "--ingress-https-port", "0"]
        self.proc = subprocess.Popen(
            [binary, "server", "--data-dir", os.path.join(self.dir, "data"),
             "--secure-port", "0", *agent_args, *extra_args],
            stdout=subprocess.PIPE, stderr=self.log, text=True)
        line = self.proc.stdout.readline()
        if "serving" not in line:
            log = self.server_log()
            self.stop()
            raise RuntimeError("capstan server did not start: " + line + log)
        self.url = line.split("serving ")[1].split(";")[0]
        self.kubeconfig = os.path.join(self.dir, "data", "admin.kubeconfig")
        self.env = dict(os.environ, KUBECONFIG=self.kubeconfig,
                        KUBECACHEDIR=os.path.join(self.dir, "kube-cache"),
                        HOME=self.dir)

    def server_log(self):
        self.log.flush()
        self.log.seek(0)
        return self.log.read()

    def kubectl(self, *args, input=None, check=True, timeout=60):
        """Runs kubectl; returns stdout. With check, a non-zero exit raises with stderr."""
        r = subprocess.run(["kubectl", *args], input=input, capture_output=True, text=True,
                           env=self.env, timeout=timeout)
        if check and r.returncode != 0:
            raise AssertionError("kubectl %s failed (%d): %s%s" %
                                 (" ".join(args), r.returncode, r.stdout, r.stderr))
        return r if not check else r.stdout

    def popen_kubectl(self, *args):
        return subprocess.Popen(["kubectl", *args], stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT, text=True, env=self.env)

    def wait_for(self, predicate, timeout=20, what="condition"):
        deadline = time.time() + timeout
        while time.time() < deadline:
            if predicate():
                return
            time.sleep(0.1)
        raise AssertionError("timed out waiting for " + what)

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
        if self.proc.stdout:
            self.proc.stdout.close()
        self.log.close()
        shutil.rmtree(self.dir, ignore_errors=True)


class ClusterTestCase(unittest.TestCase):
    """A test class whose tests share one server without an agent, as `self.c`.
    `cluster_args` adds server flags."""
    cluster_args = ()

    @classmethod
    def setUpClass(cls):
        cls.c = Cluster(extra_args=cls.cluster_args)

    @classmethod
    def tearDownClass(cls):
        cls.c.stop()

    def get_json(self, *args):
        return json.loads(self.c.kubectl("get", *args, "-o", "json"))

    def fails(self, *args, input=None):
        """Runs kubectl expecting failure; returns its stderr."""
        r = self.c.kubectl(*args, input=input, check=False)
        self.assertNotEqual(r.returncode, 0, r.stdout)
        return r.stderr
