"""Starts a real `capstan server` for end-to-end tests and runs real kubectl against it.

Used by the *_e2e_test.py files in this folder (each a unittest module run by ctest). The
server binary and kubectl come from the environment: CAPSTAN_BIN (set by CMake) and the
kubectl on PATH.
"""
import json
import os
import select
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

    def create_crd(self, group, plural, kind, schema):
        """Creates a namespaced CRD serving `group`/v1 with the openAPIV3Schema `schema` (a
        dict) and waits until it is Established."""
        crd = {"apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
               "metadata": {"name": plural + "." + group},
               "spec": {"group": group, "scope": "Namespaced",
                        "names": {"plural": plural, "singular": kind.lower(), "kind": kind},
                        "versions": [{"name": "v1", "served": True, "storage": True,
                                      "schema": {"openAPIV3Schema": schema}}]}}
        self.kubectl("create", "-f", "-", input=json.dumps(crd))
        self.kubectl("wait", "--for=condition=Established", "--timeout=30s",
                     "crd/%s.%s" % (plural, group))

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


def read_until(proc, want, poke, timeout=30):
    """Reads `proc.stdout` (bytes) until `want` shows or `timeout` seconds pass, calling `poke()`
    first and then every 2 s (what a stream sends before its session is up may be missed).
    Returns everything read."""
    seen = b""
    fd = proc.stdout.fileno()
    deadline = time.time() + timeout
    next_poke = 0
    while time.time() < deadline and want not in seen:
        if time.time() >= next_poke:
            poke()
            next_poke = time.time() + 2
        ready, _, _ = select.select([fd], [], [], 0.3)
        if ready:
            chunk = os.read(fd, 65536)
            if not chunk:
                break
            seen += chunk
    return seen


def attach_and_type(kubectl, pod, container, env, line, want):
    """`kubectl attach -i POD -c CONTAINER` with a pipe as stdin: types `line` (bytes) until
    `want` shows in the output, then closes stdin, which ends the session. Returns (output,
    exit code, stderr)."""
    proc = subprocess.Popen([kubectl, "attach", "-i", pod, "-c", container],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, env=env)

    def send_line():
        proc.stdin.write(line + b"\n")
        proc.stdin.flush()
    try:
        seen = read_until(proc, want, send_line)
        proc.stdin.close()
        code = proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        err = proc.stderr.read()
        proc.stdout.close()
        proc.stderr.close()
    return seen, code, err


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
