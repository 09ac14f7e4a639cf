"""End-to-end: the "pods find each other by name" walkthrough with real runc pods and kubectl.

An image named docker.io/library/nginx (busybox httpd on port 80, pushed to the test's registry
mirror) runs as `kubectl create deployment nginx --replicas=2`, exposed with `kubectl expose`.
A busybox client pod then resolves and fetches it by name through the kube-dns Service (its
resolv.conf written by the agent: nameserver = kube-dns's ClusterIP, search path, ndots:5); the
host asks the same DNS with dig; the Service is switched to NodePort and fetched from the host;
a deleted pod does not interrupt it; a headless Service resolves to the pod IPs, an
ExternalName one to a CNAME. Finally a LoadBalancer Service gets its address from service-lb and
is fetched at that address from a network namespace attached to the test's bridge.
The test uses its own service range so that its kube-dns ClusterIP is not served by the proxy
table of another server running in parallel. Needs root, nft, dig and the runc tools.
"""
import json
import os
import shutil
import subprocess
import sys
import unittest
import urllib.request

sys.path.insert(0, os.path.dirname(__file__))
from node_fixture import RuncCluster, TOOLS, eventually, runc_cluster_available, sh  # noqa: E402

SALT = 3
NGINX_CMD = (
    "mkdir -p /www && echo nginx-$(hostname) > /www/index.html && exec httpd -f -p 80 -h /www")


def push_nginx(registry):
    """Tags the registry's busybox layout as library/nginx:latest serving HTTP on port 80."""
    oci = os.path.join(os.path.dirname(registry.log.name), "oci")
    sh("umoci config --image {o}:latest --tag nginx --config.cmd /bin/sh --config.cmd -c "
       "--config.cmd '{cmd}'; skopeo copy -q --dest-tls-verify=false oci:{o}:nginx "
       "docker://127.0.0.1:{p}/library/nginx:latest".format(o=oci, p=registry.port, cmd=NGINX_CMD))


# Debian's busybox 1.35 `wget -T` crashes (exit 139): in-pod fetches use `timeout 5 wget`.
@unittest.skipUnless(runc_cluster_available() and shutil.which("nft") and shutil.which("dig"),
                     "needs root, nft, dig and " + ", ".join(TOOLS))
class DnsWalkthroughTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        n = (os.getpid() + SALT)
        # Third octet below 100: never one of RuncCluster's pod subnets (100..199).
        cls.svc_prefix = "10.%d.%d." % (200 + n % 50, n % 100)
        cls.dns_ip = cls.svc_prefix + "10"
        cls.netns = "capdns%d" % (os.getpid() % 100000)
        cls.veth = "vdns%d" % (os.getpid() % 100000)
        cls.lb_ip = "198.51.100.%d" % (20 + os.getpid() % 200)
        cls.node = RuncCluster("dns-e2e", salt=SALT, extra_args=(
            "--service-cluster-ip-range", cls.svc_prefix + "0/24"))
        cls.c = cls.node.cluster
        try:
            push_nginx(cls.node.registry)
        except Exception:
            cls.node.stop()
            raise

    @classmethod
    def tearDownClass(cls):
        subprocess.run(["ip", "netns", "del", cls.netns], capture_output=True)
        subprocess.run(["ip", "link", "del", cls.veth], capture_output=True)
        cls.node.stop()

    def json(self, *args):
        return json.loads(self.c.kubectl(*args, "-o", "json"))

    def ready_pods(self, selector):
        pods = self.json("get", "pods", "-l", selector)["items"]
        return [p for p in pods if p.get("status", {}).get("phase") == "Running" and
                p.get("status", {}).get("podIP") and
                p.get("metadata", {}).get("deletionTimestamp") is None]

    def exec_client(self, *cmd):
        r = self.c.kubectl("exec", "client", "--", *cmd, check=False, timeout=30)
        return r.returncode, r.stdout + r.stderr

    def eventually(self, probe, ok, what, timeout=60):
        """Polls `probe()` until `ok(result)`; returns the result or fails with the last one."""
        return eventually(probe, ok, what, timeout, lambda: self.c.server_log()[-3000:])

    def wait_rule(self, ip):
        """Waits until the proxy's table serves `ip`, so no probe to it ever leaves the host."""
        def listed():
            r = subprocess.run(["nft", "list", "table", "ip", self.node.proxy_table],
                               capture_output=True, text=True)
            return ip + " . " in r.stdout
        self.c.wait_for(listed, timeout=60, what="proxy rules for " + ip)

    def dig(self, *args):
        r = subprocess.run(["dig", "@" + self.dns_ip, "+short", "+time=2", "+tries=1", *args],
                           capture_output=True, text=True, timeout=20)
        return r.stdout.split()

    def test_pods_find_services_by_name_and_load_balancers_get_addresses(self):
        c = self.c
        c.kubectl("create", "deployment", "nginx", "--image=nginx", "--replicas=2")
        c.kubectl("expose", "deployment", "nginx", "--port=80")
        c.kubectl("run", "client", "--image=busybox", "--restart=Never", "--",
                  "sleep", "100000")
        c.wait_for(lambda: len(self.ready_pods("app=nginx")) == 2, timeout=120,
                   what="2 nginx pods running")
        self.node.wait_phase("client", ("Running",))
        # Pod -> Service -> pod traffic is routed back into the bridge (see proxy_e2e_test.py).
        with open("/proc/sys/net/ipv4/conf/%s/forwarding" % self.node.bridge, "w") as f:
            f.write("1")
        cluster_ip = self.json("get", "service", "nginx")["spec"]["clusterIP"]
        kube_dns = self.json("get", "service", "kube-dns", "-n", "kube-system")
        self.assertEqual(kube_dns["spec"]["clusterIP"], self.dns_ip)

        # The agent points ClusterFirst pods at kube-dns.
        _, resolv = self.exec_client("cat", "/etc/resolv.conf")
        self.assertIn("nameserver " + self.dns_ip, resolv)
        self.assertIn("search default.svc.cluster.local svc.cluster.local cluster.local", resolv)
        self.assertIn("ndots:5", resolv)

        # From the pod: by full name (nslookup) and by short name through the search path.
        self.eventually(lambda: self.exec_client("nslookup", "nginx.default.svc.cluster.local"),
                        lambda r: r[0] == 0 and cluster_ip in r[1], "nslookup from the pod")
        # The short name through the search path; then the Service over HTTP by the address the
        # pod resolved (busybox-static's wget resolves names with static glibc, which crashes
        # without NSS modules in the image; busybox nslookup has its own resolver and exits 1
        # when one of the names it also tries is NXDOMAIN).
        self.eventually(lambda: self.exec_client("nslookup", "nginx"),
                        lambda r: "nginx.default.svc.cluster.local\nAddress: " + cluster_ip
                        in r[1], "nslookup nginx")
        url_in_pod = "http://%s:80/" % cluster_ip
        self.eventually(lambda: self.exec_client("sh", "-c", "timeout 5 wget -qO- " + url_in_pod),
                        lambda r: r[0] == 0 and "nginx-nginx-" in r[1], "wget the Service")
        # From the host, through the same ClusterIP.
        self.wait_rule(self.dns_ip)
        self.eventually(lambda: self.dig("nginx.default.svc.cluster.local"),
                        lambda r: r == [cluster_ip], "dig from the host")

        # NodePort, from the host at the node's address on the bridge.
        c.kubectl("patch", "service", "nginx", "-p", '{"spec": {"type": "NodePort"}}')
        node_port = self.json("get", "service", "nginx")["spec"]["ports"][0]["nodePort"]
        url = "http://%s1:%d/" % (self.node.subnet_prefix, node_port)

        def fetch(u):
            try:
                return urllib.request.urlopen(u, timeout=5).read().decode()
            except OSError as e:
                return "error: %s" % e
        self.eventually(lambda: fetch(url), lambda b: b.startswith("nginx-"), "NodePort " + url)

        # A deleted pod: the Service keeps serving (from the other pod, then the replacement).
        victim = sorted(p["metadata"]["name"] for p in self.ready_pods("app=nginx"))[0]
        c.kubectl("delete", "pod", victim, "--wait=false")
        self.eventually(lambda: self.exec_client("sh", "-c", "timeout 5 wget -qO- " + url_in_pod),
                        lambda r: r[0] == 0 and "nginx-nginx-" in r[1], "served after delete")
        c.wait_for(lambda: len(self.ready_pods("app=nginx")) == 2 and victim not in
                   [p["metadata"]["name"] for p in self.ready_pods("app=nginx")],
                   timeout=120, what="the replacement nginx pod")
        self.eventually(lambda: fetch(url), lambda b: b.startswith("nginx-"), "NodePort again")

        # Headless: the ready pod IPs; ExternalName: a CNAME.
        c.kubectl("apply", "-f", "-", input=json.dumps({
            "apiVersion": "v1", "kind": "Service", "metadata": {"name": "nginx-headless"},
            "spec": {"clusterIP": "None", "selector": {"app": "nginx"},
                     "ports": [{"port": 80}]}}))
        pod_ips = sorted(p["status"]["podIP"] for p in self.ready_pods("app=nginx"))
        self.eventually(lambda: sorted(self.dig("nginx-headless.default.svc.cluster.local")),
                        lambda r: r == pod_ips, "headless A records")
        self.eventually(lambda: self.exec_client("nslookup",
                                                 "nginx-headless.default.svc.cluster.local"),
                        lambda r: r[0] == 0 and all(ip in r[1] for ip in pod_ips),
                        "headless from the pod")
        c.kubectl("create", "service", "externalname", "ext", "--external-name", "example.org")
        self.eventually(lambda: self.dig("ext.default.svc.cluster.local", "CNAME"),
                        lambda r: r == ["example.org."], "ExternalName CNAME")

        # LoadBalancer: service-lb assigns the requested pool address; the proxy serves it.
        c.kubectl("apply", "-f", "-", input=json.dumps({
            "apiVersion": "v1", "kind": "Service", "metadata": {"name": "nginx-lb"},
            "spec": {"type": "LoadBalancer", "loadBalancerIP": self.lb_ip,
                     "selector": {"app": "nginx"},
                     "ports": [{"port": 8080, "targetPort": 80}]}}))
        ingress = self.eventually(
            lambda: self.json("get", "service", "nginx-lb").get("status", {})
            .get("loadBalancer", {}).get("ingress", []),
            lambda i: i == [{"ip": self.lb_ip}], "the LoadBalancer address")
        self.assertEqual(ingress[0]["ip"], self.lb_ip)
        # A client outside the pods: a namespace on the test's bridge, routed via the node.
        gw = self.node.subnet_prefix + "1"
        sh("ip netns add {n}; ip link add {v} type veth peer name eth0 netns {n}; "
           "ip link set {v} master {b} up; "
           "ip -n {n} addr add {p}250/24 dev eth0; ip -n {n} link set eth0 up; "
           "ip -n {n} link set lo up; ip -n {n} route add default via {gw}".format(
               n=self.netns, v=self.veth, b=self.node.bridge, p=self.node.subnet_prefix, gw=gw))

        def from_netns():
            r = subprocess.run(["ip", "netns", "exec", self.netns, "curl", "-s", "-m", "5",
                                "http://%s:8080/" % self.lb_ip],
                               capture_output=True, text=True, timeout=20)
            return r.stdout
        self.wait_rule(self.lb_ip)
        self.eventually(from_netns, lambda b: b.startswith("nginx-"), "LoadBalancer from netns")
        # Another type releases the address.
        c.kubectl("patch", "service", "nginx-lb", "-p",
                  '{"spec": {"type": "ClusterIP", "loadBalancerIP": null}}')
        self.eventually(lambda: self.json("get", "service", "nginx-lb").get("status", {})
                        .get("loadBalancer", {}).get("ingress", []),
                        lambda i: i == [], "the address released")


if __name__ == "__main__":
    unittest.main()
