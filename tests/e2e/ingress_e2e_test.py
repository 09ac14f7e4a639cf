"""End-to-end test of the built-in ingress (core/ingress) with a real `capstan server`, real
kubectl and curl: two plain Python HTTP backends on 127.0.0.1 behind selector-less Services
with hand-made EndpointSlices, an Ingress routing two hosts and two paths, a live update, TLS
from a `kubectl create secret tls` Secret, 404/503, the default IngressClass and the status.
"""
import json
import os
import re
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from capstan_cluster import ClusterTestCase  # noqa: E402

BACKEND = r'''
import http.server, sys
name = sys.argv[1]
class H(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def do_GET(self):
        body = ("%s %s xff=%s proto=%s fhost=%s\n" % (
            name, self.path, self.headers.get("X-Forwarded-For"),
            self.headers.get("X-Forwarded-Proto"), self.headers.get("X-Forwarded-Host"))).encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def log_message(self, *args):
        pass
s = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
print(s.server_address[1], flush=True)
s.serve_forever()
'''


def service_yaml(name, port):
    return """
apiVersion: v1
kind: Service
metadata: {name: %(n)s}
spec:
  ports: [{name: http, port: 80, protocol: TCP}]
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata:
  name: %(n)s-manual
  labels: {kubernetes.io/service-name: %(n)s}
addressType: IPv4
ports: [{name: http, port: %(p)d, protocol: TCP}]
endpoints: [{addresses: ["127.0.0.1"], conditions: {ready: true}}]
""" % {"n": name, "p": port}


INGRESS = """
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: web}
spec:
  tls: [{hosts: [secure.test], secretName: secure-cert}]
  rules:
  - host: one.test
    http:
      paths:
      - {path: /, pathType: Prefix, backend: {service: {name: svc-a, port: {number: 80}}}}
      - {path: /api, pathType: Prefix, backend: {service: {name: svc-b, port: {name: http}}}}
      - {path: /empty, pathType: Exact, backend: {service: {name: svc-empty, port: {number: 80}}}}
  - host: two.test
    http:
      paths:
      - {path: /, pathType: Prefix, backend: {service: {name: svc-b, port: {number: 80}}}}
  - host: secure.test
    http:
      paths:
      - {path: /, pathType: Prefix, backend: {service: {name: svc-a, port: {number: 80}}}}
"""


class IngressTest(ClusterTestCase):
    cluster_args = ("--ingress-http-port", "0", "--ingress-https-port", "0")

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.backends = []
        try:
            m = re.search(r'msg="ingress serving".*http=http://\S+:(\d+).*https=https://\S+:(\d+)',
                          cls.c.server_log())
            if not m:
                raise AssertionError("no ingress serving line:\n" + cls.c.server_log())
            cls.http_port, cls.https_port = int(m.group(1)), int(m.group(2))
            ports = {}
            for name in ("a", "b"):
                p = subprocess.Popen([sys.executable, "-c", BACKEND, name],
                                     stdout=subprocess.PIPE, text=True)
                cls.backends.append(p)
                ports[name] = int(p.stdout.readline())
            cls.c.kubectl("apply", "-f", "-", input=service_yaml("svc-a", ports["a"]) + "---" +
                          service_yaml("svc-b", ports["b"]) +
                          "---\napiVersion: v1\nkind: Service\nmetadata: {name: svc-empty}\n"
                          "spec:\n  ports: [{name: http, port: 80}]\n")
            cls.tmp = tempfile.mkdtemp(prefix="capstan-ingress-")
            cls.cert = os.path.join(cls.tmp, "tls.crt")
            key = os.path.join(cls.tmp, "tls.key")
            subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                            "ec_paramgen_curve:P-256", "-nodes", "-days", "1", "-subj",
                            "/CN=secure.test", "-addext", "subjectAltName=DNS:secure.test",
                            "-keyout", key, "-out", cls.cert], check=True, capture_output=True)
            cls.c.kubectl("create", "secret", "tls", "secure-cert", "--cert", cls.cert,
                          "--key", key)
            cls.c.kubectl("apply", "-f", "-", input=INGRESS)
        except BaseException:
            cls.tearDownClass()
            raise

    @classmethod
    def tearDownClass(cls):
        for p in cls.backends:
            p.kill()
            p.wait()
            p.stdout.close()
        super().tearDownClass()

    def curl(self, host, path, tls=False):
        """Returns (status, body) of a GET through the ingress with curl."""
        port = self.https_port if tls else self.http_port
        scheme = "https" if tls else "http"
        args = ["curl", "-s", "--max-time", "10", "-w", "\n%{http_code}",
                "--resolve", "%s:%d:127.0.0.1" % (host, port)]
        if tls:
            args += ["--cacert", self.cert]
        r = subprocess.run(args + ["%s://%s:%d%s" % (scheme, host, port, path)],
                           capture_output=True, text=True)
        if r.returncode != 0:
            return (0, r.stderr)
        body, _, code = r.stdout.rpartition("\n")
        return (int(code), body)

    def eventually(self, host, path, want_status, want_prefix="", tls=False):
        got = None

        def ok():
            nonlocal got
            got = self.curl(host, path, tls)
            return got[0] == want_status and got[1].startswith(want_prefix)
        try:
            self.c.wait_for(ok, timeout=20, what="%s%s -> %d %s" % (host, path, want_status,
                                                                     want_prefix))
        except AssertionError:
            self.fail("%s%s: got %r" % (host, path, got))
        return got

    def test_1_routes_two_hosts_and_two_paths(self):
        code, body = self.eventually("one.test", "/x?q=1", 200, "a /x?q=1")
        self.assertIn("xff=127.0.0.1 proto=http fhost=one.test:%d" % self.http_port, body)
        self.eventually("one.test", "/api/v1", 200, "b /api/v1")
        self.eventually("two.test", "/", 200, "b /")
        self.assertEqual(self.curl("one.test", "/apiary")[1][:1], "a")  # element-wise prefix

    def test_2_answers_404_and_503(self):
        self.eventually("one.test", "/", 200, "a")
        self.assertEqual(self.curl("nobody.test", "/")[0], 404)
        self.assertEqual(self.curl("one.test", "/empty")[0], 503)

    def test_3_default_class_and_status(self):
        cls = json.loads(self.c.kubectl("get", "ingressclass", "capstan", "-o", "json"))
        self.assertEqual(cls["spec"]["controller"], "capstan.io/ingress")
        self.assertEqual(cls["metadata"]["annotations"]
                         ["ingressclass.kubernetes.io/is-default-class"], "true")
        self.c.wait_for(lambda: self.c.kubectl(
            "get", "ingress", "web", "-o",
            "jsonpath={.status.loadBalancer.ingress[0].ip}") == "127.0.0.1",
            what="Ingress status")
        self.assertIn("127.0.0.1", self.c.kubectl("get", "ingress", "web"))

    def test_4_tls_from_a_secret(self):
        code, body = self.eventually("secure.test", "/s", 200, "a /s", tls=True)
        self.assertIn("proto=https", body)

    def test_5_update_is_seen_live(self):
        self.eventually("two.test", "/", 200, "b")
        self.c.kubectl("patch", "ingress", "web", "--type=json", "-p", json.dumps(
            [{"op": "replace",
              "path": "/spec/rules/1/http/paths/0/backend/service/name", "value": "svc-a"}]))
        self.eventually("two.test", "/", 200, "a /")
        self.c.kubectl("delete", "endpointslice", "svc-a-manual")
        self.eventually("two.test", "/", 503)


if __name__ == "__main__":
    unittest.main()
