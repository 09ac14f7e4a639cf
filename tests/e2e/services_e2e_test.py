"""End-to-end: Services in a real `capstan server` driven by unmodified kubectl — cluster IP and
node port allocation (kubectl create service / expose), the upstream conflict errors, release on
delete, and the endpoints and endpointslice controller plugins (.so) following pod readiness.
No agent runs: the test sets pod IPs and Ready through the status subresource itself."""
import ipaddress
import json
import os
import re
import shutil
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from capstan_cluster import ClusterTestCase  # noqa: E402

SERVICE_CIDR = ipaddress.ip_network("10.96.0.0/12")


def pod_yaml(name, app, port_name="web", port=8080):
    return """
apiVersion: v1
kind: Pod
metadata: {name: %s, labels: {app: %s}}
spec:
  containers:
  - name: c
    image: nginx
    ports: [{name: %s, containerPort: %d}]
""" % (name, app, port_name, port)


class ServicesTest(ClusterTestCase):
    def set_pod_status(self, name, ip, ready):
        status = {"status": {"phase": "Running", "podIP": ip, "podIPs": [{"ip": ip}],
                             "conditions": [{"type": "Ready",
                                             "status": "True" if ready else "False"}]}}
        self.c.kubectl("patch", "pod", name, "--subresource=status", "--type=merge",
                       "-p", json.dumps(status))

    def test_created_services_get_a_cluster_ip_in_range_and_node_ports(self):
        self.c.kubectl("create", "service", "clusterip", "plain", "--tcp=80:8080")
        svc = self.get_json("service", "plain")
        ip = svc["spec"]["clusterIP"]
        self.assertIn(ipaddress.ip_address(ip), SERVICE_CIDR)
        self.assertEqual(svc["spec"]["clusterIPs"], [ip])
        self.assertEqual(svc["spec"]["ipFamilies"], ["IPv4"])
        self.assertEqual(svc["spec"]["ipFamilyPolicy"], "SingleStack")
        self.assertEqual(svc["spec"]["sessionAffinity"], "None")
        self.assertEqual(svc["spec"]["internalTrafficPolicy"], "Cluster")
        self.assertEqual(svc["spec"]["ports"][0]["protocol"], "TCP")
        self.assertRegex(self.c.kubectl("get", "service", "plain"),
                         r"plain\s+ClusterIP\s+%s\s+<none>\s+80/TCP" % ip.replace(".", r"\."))

        self.c.kubectl("create", "service", "nodeport", "np", "--tcp=80:8080")
        svc = self.get_json("service", "np")
        node_port = svc["spec"]["ports"][0]["nodePort"]
        self.assertTrue(30000 <= node_port <= 32767, node_port)
        self.assertEqual(svc["spec"]["externalTrafficPolicy"], "Cluster")
        self.assertRegex(self.c.kubectl("get", "service", "np"),
                         r"np\s+NodePort\s+10\.\S+\s+<none>\s+80:%d/TCP" % node_port)

        self.c.kubectl("create", "service", "clusterip", "headless", "--clusterip=None")
        self.assertEqual(self.get_json("service", "headless")["spec"]["clusterIP"], "None")

    def test_expose_deployment_selects_its_pods(self):
        self.c.kubectl("create", "deployment", "exposed", "--image=nginx", "--replicas=1")
        self.c.kubectl("expose", "deployment", "exposed", "--port=80", "--target-port=8080")
        svc = self.get_json("service", "exposed")
        self.assertEqual(svc["spec"]["selector"], {"app": "exposed"})
        self.assertIn(ipaddress.ip_address(svc["spec"]["clusterIP"]), SERVICE_CIDR)
        self.assertEqual(svc["spec"]["ports"][0]["targetPort"], 8080)

    def test_requested_cluster_ip_conflicts_until_its_service_is_deleted(self):
        self.c.kubectl("create", "service", "clusterip", "first", "--tcp=80",
                       "--clusterip=10.96.100.100")
        err = self.fails("create", "service", "clusterip", "second", "--tcp=80",
                         "--clusterip=10.96.100.100")
        self.assertIn('Service "second" is invalid: spec.clusterIPs: Invalid value: '
                      '[]string{"10.96.100.100"}: failed to allocate IP 10.96.100.100: '
                      'provided IP is already allocated', err)
        err = self.fails("create", "service", "clusterip", "outside", "--tcp=80",
                         "--clusterip=192.168.0.10")
        self.assertIn("is not in the valid range", err)
        self.c.kubectl("delete", "service", "first")
        self.c.kubectl("create", "service", "clusterip", "second", "--tcp=80",
                       "--clusterip=10.96.100.100")
        self.assertEqual(self.get_json("service", "second")["spec"]["clusterIP"], "10.96.100.100")

    def test_requested_node_port_conflicts_and_range_are_checked(self):
        self.c.kubectl("create", "service", "nodeport", "np-a", "--tcp=80",
                       "--node-port=30080")
        err = self.fails("create", "service", "nodeport", "np-b", "--tcp=80",
                         "--node-port=30080")
        self.assertIn("spec.ports[0].nodePort: Invalid value: 30080: provided port is already "
                      "allocated", err)
        err = self.fails("create", "service", "nodeport", "np-c", "--tcp=80",
                         "--node-port=40000")
        self.assertIn("provided port is not in the valid range. The range of valid ports is "
                      "30000-32767", err)
        self.c.kubectl("delete", "service", "np-a")
        self.c.kubectl("create", "service", "nodeport", "np-b", "--tcp=80",
                       "--node-port=30080")

    def test_type_change_releases_node_ports_and_load_balancers_get_health_check_ports(self):
        self.c.kubectl("create", "service", "nodeport", "np-t", "--tcp=80",
                       "--node-port=30090")
        self.c.kubectl("patch", "service", "np-t", "--type=merge",
                       "-p", '{"spec":{"type":"ClusterIP"}}')
        svc = self.get_json("service", "np-t")
        self.assertNotIn("nodePort", svc["spec"]["ports"][0])
        self.c.kubectl("create", "service", "nodeport", "np-u", "--tcp=80",
                       "--node-port=30090")
        self.c.kubectl("create", "-f", "-", input="""
apiVersion: v1
kind: Service
metadata: {name: lb-local}
spec:
  type: LoadBalancer
  externalTrafficPolicy: Local
  selector: {app: lb}
  ports: [{port: 443}]
""")
        spec = self.get_json("service", "lb-local")["spec"]
        self.assertTrue(30000 <= spec["healthCheckNodePort"] <= 32767, spec)
        self.assertTrue(30000 <= spec["ports"][0]["nodePort"] <= 32767, spec)
        self.assertNotEqual(spec["healthCheckNodePort"], spec["ports"][0]["nodePort"])

    def test_cluster_ip_is_immutable(self):
        self.c.kubectl("create", "service", "clusterip", "fixed", "--tcp=80")
        err = self.fails("patch", "service", "fixed", "--type=merge",
                         "-p", '{"spec":{"clusterIP":"10.96.55.55","clusterIPs":["10.96.55.55"]}}')
        self.assertIn('spec.clusterIPs[0]: Invalid value: []string{"10.96.55.55"}: '
                      'may not change once set', err)

    def test_kubernetes_service_points_at_the_api_server(self):
        svc = json.loads(self.c.kubectl("get", "service", "kubernetes", "-o", "json"))
        self.assertEqual(svc["spec"]["clusterIP"], "10.96.0.1")
        port = int(self.c.url.rsplit(":", 1)[1])
        ep = self.get_json("endpoints", "kubernetes")
        self.assertEqual(ep["subsets"][0]["ports"][0]["port"], port)

    @unittest.skipUnless(shutil.which("dig"), "needs dig (bind9-dnsutils)")
    def test_cluster_dns_answers_service_names_with_dig(self):
        self.c.kubectl("create", "service", "clusterip", "dnsweb", "--tcp=80:8080")
        ip = self.get_json("service", "dnsweb")["spec"]["clusterIP"]
        m = re.search(r'msg="cluster DNS serving".*port=(\d+)', self.c.server_log())
        self.assertIsNotNone(m, "no DNS port in the server log")

        def answer(name, qtype="A"):
            return subprocess.run(["dig", "@127.0.0.1", "-p", m.group(1), "+short", "+tries=1",
                                   "+time=2", name, qtype], capture_output=True, text=True,
                                  timeout=10).stdout.strip()
        self.c.wait_for(lambda: answer("dnsweb.default.svc.cluster.local") == ip, timeout=10,
                        what="the A record of dnsweb")
        self.assertEqual(answer("kubernetes.default.svc.cluster.local"), "10.96.0.1")
        # kubectl names the port "80-8080"; SRV answers "prio weight port target".
        srv = answer("_80-8080._tcp.dnsweb.default.svc.cluster.local", "SRV").split()
        self.assertEqual(srv[2:], ["80", "dnsweb.default.svc.cluster.local."])

    def test_endpoints_and_slices_follow_pod_readiness(self):
        for name in ("ep-1", "ep-2"):
            self.c.kubectl("create", "-f", "-", input=pod_yaml(name, "ep"))
        self.c.kubectl("create", "-f", "-", input="""
apiVersion: v1
kind: Service
metadata: {name: ep}
spec:
  selector: {app: ep}
  ports: [{name: http, port: 80, targetPort: web}]
""")
        self.set_pod_status("ep-1", "10.244.0.11", ready=True)
        self.set_pod_status("ep-2", "10.244.0.12", ready=False)

        def subsets():
            return self.get_json("endpoints", "ep").get("subsets") or []

        def ips(key):
            return sorted(a["ip"] for s in subsets() for a in s.get(key, []))

        self.c.wait_for(lambda: ips("addresses") == ["10.244.0.11"] and
                        ips("notReadyAddresses") == ["10.244.0.12"],
                        timeout=30, what="Endpoints with one ready and one not-ready pod")
        self.assertEqual(subsets()[0]["ports"], [{"name": "http", "port": 8080,
                                                  "protocol": "TCP"}])
        self.assertRegex(self.c.kubectl("get", "endpoints", "ep"), r"ep\s+10\.244\.0\.11:8080")

        def slice_endpoints():
            items = self.get_json("endpointslices", "-l", "kubernetes.io/service-name=ep")["items"]
            return items, {e["addresses"][0]: e["conditions"]
                           for s in items for e in s.get("endpoints") or []}

        self.c.wait_for(lambda: len(slice_endpoints()[1]) == 2, timeout=30,
                        what="an EndpointSlice listing both pods")
        items, conditions = slice_endpoints()
        self.assertEqual(len(items), 1)
        self.assertEqual(items[0]["metadata"]["labels"]["endpointslice.kubernetes.io/managed-by"],
                         "endpointslice-controller.k8s.io")
        self.assertEqual(items[0]["addressType"], "IPv4")
        self.assertEqual(items[0]["ports"], [{"name": "http", "port": 8080, "protocol": "TCP"}])
        self.assertEqual(conditions["10.244.0.11"]["ready"], True)
        self.assertEqual(conditions["10.244.0.12"]["ready"], False)
        self.assertRegex(self.c.kubectl("get", "endpointslices", "-l",
                                        "kubernetes.io/service-name=ep"),
                         r"ep-\S+\s+IPv4\s+8080\s+10\.244\.0\.1[12],10\.244\.0\.1[12]")

        self.set_pod_status("ep-2", "10.244.0.12", ready=True)
        self.c.wait_for(lambda: ips("addresses") == ["10.244.0.11", "10.244.0.12"],
                        timeout=30, what="the second pod to become a ready address")
        self.c.kubectl("delete", "pod", "ep-1", "--grace-period=0", "--force")
        self.c.wait_for(lambda: ips("addresses") == ["10.244.0.12"] and
                        list(slice_endpoints()[1]) == ["10.244.0.12"],
                        timeout=30, what="the deleted pod to leave the endpoints")

        self.c.kubectl("delete", "service", "ep")
        self.c.wait_for(lambda: self.c.kubectl("get", "endpoints", "ep", check=False)
                        .returncode != 0 and not slice_endpoints()[0],
                        timeout=30, what="Endpoints and slices to go with the Service")

    def test_services_without_selector_keep_manual_endpoints(self):
        self.c.kubectl("create", "-f", "-", input="""
apiVersion: v1
kind: Service
metadata: {name: manual}
spec:
  ports: [{port: 80}]
---
apiVersion: v1
kind: Endpoints
metadata: {name: manual}
subsets:
- addresses: [{ip: 192.0.2.10}]
  ports: [{port: 80}]
""")
        # A Service with a selector created afterwards is a barrier: once its slice exists the
        # controllers have processed the earlier Service too.
        self.c.kubectl("create", "service", "clusterip", "barrier", "--tcp=80")
        self.c.wait_for(lambda: self.get_json("endpointslices", "-l",
                                         "kubernetes.io/service-name=barrier")["items"],
                        timeout=30, what="the barrier Service's placeholder slice")
        ep = self.get_json("endpoints", "manual")
        self.assertEqual(ep["subsets"][0]["addresses"], [{"ip": "192.0.2.10"}])
        self.assertEqual(self.get_json("endpointslices", "-l",
                                  "kubernetes.io/service-name=manual")["items"], [])


if __name__ == "__main__":
    unittest.main()
