"""End-to-end: two nodes. Two `capstan agent --runtime runc` processes, each in a network namespace
of its own (entered with `nsenter --net`: `ip netns exec` would also hide /sys/fs/cgroup from
runc), joined by a bridge on the host, against one `capstan server` (no local agent) listening on
that bridge. Each agent runs the bridge CNI chain on its --pod-cidr, publishes it on its Node and
routes the other node's pod CIDR via its --node-ip (host-gw). With real kubectl: a Deployment of
two replicas spread one per node and a Service; from the pod on each node the other pod answers
at its pod IP (seeing the caller's pod IP, not a masqueraded one), and the Service, found by
name through kube-dns (the server's DNS on the bridge address), answers from the other node.
Everything the test makes (namespaces, bridge, veths, processes, mounts) is removed, also on
failure. Needs root, nsenter, nft and the runc tools.
"""
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from capstan_cluster import Cluster  # noqa: E402
from node_fixture import Registry, TOOLS, eventually, runc_cluster_available, sh  # noqa: E402

WEB_CMD = ("mkdir -p /www && echo web-$(hostname) > /www/index.html && "
           "exec httpd -f -v -p 80 -h /www")


def run(*args, check=False, timeout=30):
    return subprocess.run(list(args), capture_output=True, text=True, check=check,
                          timeout=timeout)


class Node:
    """One agent: its network namespace, host veth, addresses, data dir and process."""

    def __init__(self, test_id, letter, host_prefix, host_octet, pod_prefix):
        self.name = "mn-" + letter
        self.netns = "capmn%s%s" % (test_id, letter)
        self.veth = "vmn%s%s" % (test_id, letter)
        self.ip = host_prefix + str(host_octet)
        self.pod_cidr = pod_prefix + "0/24"
        self.bridge = "cbr%s%s" % (test_id, letter)  # inside the namespace
        self.table = "capstan-proxy-mn%s%s" % (test_id, letter)
        self.netpol_table = "capstan-netpol-mn%s%s" % (test_id, letter)
        self.proc = None
        self.log = None
        self.data_dir = None


@unittest.skipUnless(runc_cluster_available() and shutil.which("nsenter") and shutil.which("nft"),
                     "needs root, nsenter, nft and " + ", ".join(TOOLS))
class MultiNodeTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        pid = os.getpid()
        cls.test_id = str(pid % 100000)
        n = pid % 250
        cls.host_prefix = "172.31.%d." % n
        cls.host_ip = cls.host_prefix + "1"
        cls.host_bridge = "capmn%s" % cls.test_id
        # Pod and service addresses outside the ranges other e2e tests use (10.96.0.0/12 and
        # 10.200-249.x), so no rule of a server running in parallel matches our traffic where
        # the host bridge hands it to the host's netfilter.
        second = 150 + pid % 40
        cls.cluster_cidr = "10.%d.0.0/17" % second
        cls.service_range = "10.%d.200.0/24" % second
        cls.nodes = [Node(cls.test_id, "a", cls.host_prefix, 2, "10.%d.1." % second),
                     Node(cls.test_id, "b", cls.host_prefix, 3, "10.%d.2." % second)]
        cls.tmp = tempfile.mkdtemp(prefix="capstan-multinode-")
        cls.registry = None
        cls.c = None
        try:
            cls.make_network()
            cls.registry = Registry(cls.tmp, address=cls.host_ip)
            cls.registries = os.path.join(cls.tmp, "registries.json")
            with open(cls.registries, "w") as f:
                json.dump({"registries": {"docker.io": {
                    "mirrors": ["http://%s:%d" % (cls.host_ip, cls.registry.port)],
                    "mirrorsOnly": True}}}, f)
            cls.c = Cluster(extra_args=(
                "--bind-address", cls.host_ip, "--advertise-address", cls.host_ip,
                "--dns-address", cls.host_ip,
                "--service-cluster-ip-range", cls.service_range))
            cls.dns_ip = json.loads(cls.c.kubectl(
                "get", "service", "kube-dns", "-n", "kube-system", "-o", "json"))["spec"][
                    "clusterIP"]
            for node in cls.nodes:
                cls.start_agent(node)
        except Exception:
            cls.cleanup()
            raise

    @classmethod
    def tearDownClass(cls):
        cls.cleanup()

    @classmethod
    def make_network(cls):
        """The host bridge with the server's address; per node a namespace whose eth0 is a veth
        into it, forwarding on (a node forwards its pods' traffic)."""
        sh("ip link add {b} type bridge; ip addr add {ip}/24 dev {b}; ip link set {b} up".format(
            b=cls.host_bridge, ip=cls.host_ip))
        for node in cls.nodes:
            sh("ip netns add {n}; ip link add {v} type veth peer name eth0 netns {n}; "
               "ip link set {v} master {b} up; ip -n {n} addr add {ip}/24 dev eth0; "
               "ip -n {n} link set eth0 up; ip -n {n} link set lo up; "
               "ip netns exec {n} sysctl -qw net.ipv4.ip_forward=1".format(
                   n=node.netns, v=node.veth, b=cls.host_bridge, ip=node.ip))

    @classmethod
    def start_agent(cls, node):
        node.data_dir = os.path.join(cls.tmp, node.name)
        node.log = open(os.path.join(cls.tmp, node.name + ".log"), "w+")
        binary = os.environ.get("CAPSTAN_BIN", "capstan")
        node.proc = subprocess.Popen(
            ["nsenter", "--net=/run/netns/" + node.netns, binary, "agent",
             "--runtime", "runc", "--kubeconfig", cls.c.kubeconfig, "--node-name", node.name,
             "--data-dir", node.data_dir, "--registry-config", cls.registries,
             "--pod-cidr", node.pod_cidr, "--cluster-cidr", cls.cluster_cidr,
             "--bridge-name", node.bridge, "--node-ip", node.ip,
             "--listen-address", node.ip, "--listen-port", "0",
             "--cluster-dns", cls.dns_ip, "--proxy-table", node.table,
             "--network-policy-table", node.netpol_table],
            stdout=node.log, stderr=node.log)

    @classmethod
    def cleanup(cls):
        """Deletes pods while the agents still run, then everything else; never raises."""
        steps = []
        if cls.c is not None:
            steps.append(lambda: cls.c.kubectl("delete", "deployment,service", "web",
                                               "--ignore-not-found", check=False))
            steps.append(lambda: cls.c.kubectl("delete", "pods", "--all", "--wait=true",
                                               "--timeout=60s", check=False, timeout=90))
        for node in cls.nodes:
            steps.append(lambda node=node: cls.stop_agent(node))
        for node in cls.nodes:
            steps.append(lambda node=node: cls.remove_leftover_containers(node))
        steps.append(cls.unmount_leftovers)
        if cls.c is not None:
            steps.append(lambda: cls.print_logs() if os.environ.get("CAPSTAN_E2E_LOG") else None)
            steps.append(cls.c.stop)
        if cls.registry is not None:
            steps.append(cls.registry.stop)
        for node in cls.nodes:
            steps.append(lambda node=node: run("ip", "netns", "del", node.netns))
            steps.append(lambda node=node: run("ip", "link", "del", node.veth))
        steps.append(lambda: run("ip", "link", "del", cls.host_bridge))
        steps.append(lambda: shutil.rmtree(cls.tmp, ignore_errors=True))
        for step in steps:
            try:
                step()
            except Exception as e:  # keep cleaning up
                print("multinode cleanup: %r" % e, file=sys.stderr)

    @classmethod
    def stop_agent(cls, node):
        if node.proc is None:
            return
        if node.proc.poll() is None:
            node.proc.send_signal(signal.SIGTERM)
            try:
                node.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                node.proc.kill()
                node.proc.wait(timeout=10)

    @classmethod
    def remove_leftover_containers(cls, node):
        """Containers of pods that were not deleted (a failed test) outlive their agent."""
        if node.data_dir is None:
            return
        root = os.path.join(node.data_dir, "runc", "runc")
        listed = run("runc", "--root", root, "list", "-q")
        for cid in listed.stdout.split():
            run("runc", "--root", root, "delete", "--force", cid)

    @classmethod
    def unmount_leftovers(cls):
        """Overlay rootfs and pod namespace files under the test's directory, deepest first."""
        with open("/proc/self/mountinfo") as f:
            points = [line.split()[4] for line in f]
        for point in sorted((p for p in points if p.startswith(cls.tmp + "/")),
                            key=len, reverse=True):
            run("umount", "-l", point)

    @classmethod
    def print_logs(cls):
        for node in cls.nodes:
            if node.log is not None:
                node.log.flush()
                node.log.seek(0)
                print("---- agent %s\n%s" % (node.name, node.log.read()[-6000:]))
        print("---- server\n" + cls.c.server_log()[-6000:])

    # Helpers.

    def json(self, *args):
        return json.loads(self.c.kubectl(*args, "-o", "json"))

    def agent_logs(self):
        out = ""
        for node in self.nodes:
            node.log.flush()
            node.log.seek(0)
            out += "---- agent %s\n%s\n" % (node.name, node.log.read()[-3000:])
        return out + "---- server\n" + self.c.server_log()[-3000:]

    def eventually(self, probe, ok, what, timeout=60):
        return eventually(probe, ok, what, timeout=timeout, context=self.agent_logs)

    def exec_in(self, pod, script):
        r = self.c.kubectl("exec", pod, "--", "sh", "-c", script, check=False, timeout=30)
        return r.returncode, r.stdout + r.stderr

    def web_pods(self):
        """Running web pods with an IP, by node name."""
        pods = self.json("get", "pods", "-l", "app=web")["items"]
        return {p["spec"].get("nodeName"): p for p in pods
                if p.get("status", {}).get("phase") == "Running" and
                p["status"].get("podIP") and not p["metadata"].get("deletionTimestamp")}

    # The test.

    def test_pods_on_two_nodes_reach_each_other_by_pod_ip_and_service_name(self):
        c = self.c
        a, b = self.nodes

        def ready_nodes():
            for node in self.nodes:  # an agent that exits (bad flag, no runc) fails at once
                if node.proc.poll() is not None:
                    self.fail("agent %s exited (%s)\n%s" % (node.name, node.proc.returncode,
                                                            self.agent_logs()))
            items = self.json("get", "nodes")["items"]
            return {n["metadata"]["name"]: n for n in items
                    if any(cond["type"] == "Ready" and cond["status"] == "True"
                           for cond in n.get("status", {}).get("conditions", []))}
        # The agent sets spec.podCIDR right after registering the Node.
        nodes = self.eventually(ready_nodes, lambda n: len(n) == 2 and all(
            x["spec"].get("podCIDR") for x in n.values()), "both nodes Ready with a pod CIDR")
        for node in self.nodes:
            spec, status = nodes[node.name]["spec"], nodes[node.name]["status"]
            self.assertEqual(spec.get("podCIDR"), node.pod_cidr)
            self.assertEqual(spec.get("podCIDRs"), [node.pod_cidr])
            self.assertIn({"type": "InternalIP", "address": node.ip}, status["addresses"])

        # host-gw: each namespace routes the other node's pod CIDR via that node's IP.
        for here, there in ((a, b), (b, a)):
            self.eventually(
                lambda here=here: run("ip", "-n", here.netns, "route", "show", "proto", "77").stdout,
                lambda out, there=there: "%s via %s" % (there.pod_cidr, there.ip) in out,
                "route to %s's pods in %s" % (there.name, here.name))

        c.kubectl("apply", "-f", "-", input=json.dumps({
            "apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web"},
            "spec": {
                "replicas": 2, "selector": {"matchLabels": {"app": "web"}},
                "template": {
                    "metadata": {"labels": {"app": "web"}},
                    "spec": {
                        # One replica per node.
                        "affinity": {"podAntiAffinity": {
                            "requiredDuringSchedulingIgnoredDuringExecution": [{
                                "labelSelector": {"matchLabels": {"app": "web"}},
                                "topologyKey": "kubernetes.io/hostname"}]}},
                        "containers": [{"name": "web", "image": "busybox",
                                        "command": ["sh", "-c", WEB_CMD]}]}}}}))
        c.kubectl("expose", "deployment", "web", "--port=80")
        pods = self.eventually(self.web_pods, lambda p: set(p) == {a.name, b.name},
                               "one running web pod per node", timeout=180)
        for node in self.nodes:
            ip = pods[node.name]["status"]["podIP"]
            self.assertTrue(ip.startswith(node.pod_cidr[:-len("0/24")]), (node.name, ip))
        cluster_ip = self.json("get", "service", "web")["spec"]["clusterIP"]

        for here, there in ((a, b), (b, a)):
            client = pods[here.name]["metadata"]["name"]
            server = pods[there.name]["metadata"]["name"]
            client_ip = pods[here.name]["status"]["podIP"]
            server_ip = pods[there.name]["status"]["podIP"]
            # By pod IP across nodes; the server sees the client's pod IP (not masqueraded).
            self.eventually(
                lambda: self.exec_in(client, "timeout 5 wget -qO- http://%s/" % server_ip),
                lambda r, server=server: r[0] == 0 and "web-" + server in r[1],
                "%s -> %s by pod IP" % (here.name, there.name))
            self.eventually(lambda server=server: c.kubectl("logs", server, check=False).stdout,
                            lambda log, ip=client_ip: re.search(
                                re.escape(ip) + r"(?!\d)", log) is not None,
                            "%s's pod IP in %s's access log" % (here.name, there.name))
            # By Service name through kube-dns (busybox nslookup; busybox-static's wget cannot
            # resolve names itself), then the Service, until both backends answered.
            self.eventually(lambda: self.exec_in(client, "nslookup web"),
                            lambda r: "web.default.svc.cluster.local\nAddress: " + cluster_ip
                            in r[1], "%s resolves the Service" % here.name)
            seen = set()

            def fetch_service():
                code, out = self.exec_in(client, "timeout 5 wget -qO- http://%s/" % cluster_ip)
                if code == 0:
                    seen.update(re.findall(r"web-(\S+)", out))
                return seen
            # The backend on the other node answers through the Service. (A pod reaching itself
            # through its own Service needs hairpin mode on its bridge port, which the bridge
            # plugin does not set yet: not asserted.)
            self.eventually(fetch_service, lambda s: server in s,
                            "%s (%s) reaches %s on the other node through the Service" %
                            (here.name, client, server))


if __name__ == "__main__":
    unittest.main()
