"""Shared set-up for e2e tests that run real containers: a Debian docker-registry on 127.0.0.1
serving a busybox image built here (umoci + skopeo), made the docker.io mirror of a `capstan
server` whose local agent runs pods under runc on a bridge and subnet of this test only.
Used by pods_e2e_test.py and the other runc-backed e2e tests; `runc_cluster_available()` says
whether this machine can run them (root and the tools in TOOLS).
"""
import json
import os
import shutil
import socket
import subprocess
import tempfile
import time
import urllib.request

from capstan_cluster import Cluster

TOOLS = ("runc", "umoci", "skopeo", "docker-registry", "busybox")
BUSYBOX_APPLETS = ("sh", "echo", "cat", "sleep", "httpd", "mkdir", "ls", "nc", "wget", "hostname",
                   "nslookup", "env", "ps", "kill", "true", "false", "touch", "rm", "test")


def runc_cluster_available():
    return os.geteuid() == 0 and all(shutil.which(t) for t in TOOLS)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def eventually(probe, ok, what, timeout=60, context=lambda: ""):
    """Polls `probe()` until `ok(result)`; returns the result, or raises AssertionError with the
    last result and `context()` (e.g. the tail of a log)."""
    last = None
    deadline = time.time() + timeout
    while time.time() < deadline:
        last = probe()
        if ok(last):
            return last
        time.sleep(0.3)
    raise AssertionError("%s: last %r\n%s" % (what, last, context()))


def sh(script):
    subprocess.run(["sh", "-ec", script], check=True, capture_output=True, text=True)


class Registry:
    """A docker-registry process with a busybox image as library/busybox:latest. `address`: where
    it listens (default loopback; an address on a test bridge for agents in network namespaces),
    also in `self.address`."""

    def __init__(self, root, address="127.0.0.1"):
        self.address = address
        self.port = free_port()
        cfg = os.path.join(root, "registry.yml")
        with open(cfg, "w") as f:
            f.write("version: 0.1\nlog:\n  level: warn\nstorage:\n  filesystem:\n"
                    "    rootdirectory: %s/storage\nhttp:\n  addr: %s:%d\n" %
                    (root, address, self.port))
        self.log = open(os.path.join(root, "registry.log"), "w")
        self.proc = subprocess.Popen(["docker-registry", "serve", cfg], stdout=self.log,
                                     stderr=self.log)
        deadline = time.time() + 15
        while time.time() < deadline:
            try:
                urllib.request.urlopen("http://%s:%d/v2/" % (address, self.port), timeout=1)
                break
            except OSError:
                time.sleep(0.1)
        try:
            self.push_busybox(root)
        except Exception:
            self.stop()
            raise

    def push_busybox(self, root):
        oci, b = os.path.join(root, "oci"), os.path.join(root, "bundle")
        sh("umoci init --layout {o}; umoci new --image {o}:latest; "
           "umoci unpack --image {o}:latest {b} >/dev/null; mkdir -p {b}/rootfs/bin; "
           "cp /bin/busybox {b}/rootfs/bin/busybox; "
           "for l in {applets}; do ln -s busybox {b}/rootfs/bin/$l; done; "
           "umoci repack --image {o}:latest {b}; "
           "umoci config --image {o}:latest --config.cmd /bin/sh --config.env PATH=/bin; "
           "skopeo copy -q --dest-tls-verify=false oci:{o}:latest "
           "docker://{a}:{p}/library/busybox:latest".format(
               o=oci, b=b, a=self.address, p=self.port, applets=" ".join(BUSYBOX_APPLETS)))

    def stop(self):
        self.proc.terminate()
        self.proc.wait(timeout=10)
        self.log.close()


def remove_masquerade_rules(bridge):
    """Deletes the bridge CNI plugin's masquerade rule for `bridge` (the plugin keeps it for the
    node's lifetime; a test's bridge lives only as long as the test)."""
    listing = subprocess.run(["nft", "-a", "list", "chain", "ip", "capstan_cni", "postrouting"],
                             capture_output=True, text=True)
    for line in listing.stdout.splitlines():
        if '"capstan-cni:%s"' % bridge in line and "# handle " in line:
            handle = line.rsplit("# handle ", 1)[1].strip()
            subprocess.run(["nft", "delete", "rule", "ip", "capstan_cni", "postrouting",
                            "handle", handle], capture_output=True)


# Pod subnets of the RuncClusters running on this host, one directory each (atomic mkdir), so
# tests started side by side never share a subnet: two bridges with one subnet would route one
# cluster's service traffic to the other's pods.
SUBNET_LEASES = "/run/capstan-e2e-subnets"


def _pid_alive(pid):
    try:
        os.kill(pid, 0)
        return True
    except ProcessLookupError:
        return False
    except PermissionError:
        return True


def lease_subnet(start):
    """Returns ("10.x.y.", lease dir) for a /24 no other running test holds, trying from
    `start`; a lease whose owner process is gone is taken over. Release with release_subnet."""
    os.makedirs(SUBNET_LEASES, exist_ok=True)
    for i in range(5000):
        k = (start + i) % 5000
        prefix = "10.%d.%d." % (200 + k % 50, 100 + k // 50)
        lease = os.path.join(SUBNET_LEASES, prefix.rstrip("."))
        try:
            os.mkdir(lease)
        except FileExistsError:
            try:
                with open(os.path.join(lease, "pid")) as f:
                    owner = int(f.read())
            except (OSError, ValueError):
                continue  # being written, or unreadable: leave it
            if _pid_alive(owner):
                continue
            shutil.rmtree(lease, ignore_errors=True)
            try:
                os.mkdir(lease)
            except FileExistsError:
                continue
        with open(os.path.join(lease, "pid"), "w") as f:
            f.write(str(os.getpid()))
        return prefix, lease
    raise RuntimeError("no free pod subnet under " + SUBNET_LEASES)


def release_subnet(lease):
    shutil.rmtree(lease, ignore_errors=True)


class RuncCluster:
    """A registry plus a `capstan server` with its local runc agent. `name` makes the node name
    and temp dir distinct; `salt` (0-9) keeps the bridge apart from other tests running in
    parallel, and the pod subnet is leased (lease_subnet), so no two running clusters share one.
    Attributes: cluster (capstan_cluster.Cluster), registry, tmp, subnet_prefix ("10.x.y."),
    bridge, proxy_table (the agent's nftables table). Call stop() once, also after a failed
    test."""

    def __init__(self, name, salt=0, extra_args=()):
        self.tmp = tempfile.mkdtemp(prefix="capstan-%s-" % name)
        self.registry = Registry(self.tmp)
        registries = os.path.join(self.tmp, "registries.json")
        with open(registries, "w") as f:
            json.dump({"registries": {"docker.io": {
                "mirrors": ["http://127.0.0.1:%d" % self.registry.port], "mirrorsOnly": True}}},
                f)
        pid = os.getpid()
        self.subnet_prefix, self.subnet_lease = lease_subnet(pid * 10 + salt)
        self.bridge = "cape2e%d" % ((pid * 10 + salt) % 1000000)
        self.proxy_table = "capstan-proxy-" + self.bridge
        # Likewise their NetworkPolicy tables (unless the test names its own).
        netpol = () if "--network-policy-table" in extra_args else (
            "--network-policy-table", "capstan-netpol-" + self.bridge)
        try:
            self.cluster = Cluster(extra_args=(
                "--node-name", name, "--registry-config", registries,
                "--pod-cidr", self.subnet_prefix + "0/24",
                "--bridge-name", self.bridge,
                # Parallel servers must not replace or delete each other's proxy table.
                "--proxy-table", self.proxy_table) + netpol + tuple(extra_args),
                agent=True)
        except Exception:
            self.registry.stop()
            release_subnet(self.subnet_lease)
            shutil.rmtree(self.tmp, ignore_errors=True)
            raise

    def stop(self):
        try:
            # Workload controllers first: a Deployment's pods deleted alone come back, and their
            # containers would outlive the server.
            self.cluster.kubectl("delete", "deployments,replicasets,statefulsets,daemonsets,jobs,"
                                 "cronjobs", "--all", "-A", "--wait=false", check=False,
                                 timeout=60)
            self.cluster.kubectl("delete", "pods", "--all", "-A", "--wait=true", "--timeout=60s",
                                 check=False, timeout=90)
        finally:
            log = self.cluster.server_log()
            self.cluster.stop()
            self.registry.stop()
            subprocess.run(["ip", "link", "del", self.bridge], capture_output=True)
            remove_masquerade_rules(self.bridge)
            release_subnet(self.subnet_lease)
            shutil.rmtree(self.tmp, ignore_errors=True)
            if os.environ.get("CAPSTAN_E2E_LOG"):
                print(log)

    def wait_phase(self, name, phases, timeout=90, namespace="default"):
        """Polls pod `name` until its phase is in `phases`; returns the pod."""
        last = {}

        def reached():
            nonlocal last
            last = json.loads(self.cluster.kubectl("get", "pod", name, "-n", namespace,
                                                   "-o", "json"))
            return last.get("status", {}).get("phase") in phases
        try:
            self.cluster.wait_for(reached, timeout=timeout, what=name + " in " + str(phases))
        except AssertionError:
            raise AssertionError("pod %s: %s\n%s" % (name, json.dumps(last.get("status")),
                                                     self.cluster.server_log()[-4000:]))
        return last
