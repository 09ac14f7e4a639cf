#!/usr/bin/env python3
"""Captures the protobuf request bodies kubectl sends, as golden data for the decoder tests.

Runs each command in COMMANDS against a throwaway HTTP server on 127.0.0.1 that records every
POST body and answers it with an error (only the request matters), then runs the same command
with `--dry-run=client -o json` to get the JSON kubectl built the object from. Writes one JSON
object per line: {"args", "method", "path", "content_type", "body_hex", "expected"}; "expected"
is null when kubectl has no client-side dry run for the command (auth, token).

Usage: capture_kubectl_bodies.py [--kubectl kubectl] [--discovery-dir DIR] \\
           > tests/core/protobuf/testdata/kubectl_bodies.jsonl
"""

import argparse
import http.server
import json
import os
import subprocess
import sys
import tempfile
import threading

# Each entry: kubectl arguments; `dry_run` says whether `--dry-run=client -o json` applies.
COMMANDS = [
    (["create", "namespace", "golden"], True),
    (["create", "configmap", "cm1", "--from-literal=a=1", "--from-literal=b=two words"], True),
    (["create", "secret", "generic", "s1", "--from-literal=user=admin",
      "--from-file=blob={tmp}/blob.bin"], True),
    (["create", "secret", "docker-registry", "reg", "--docker-server=r.example.com",
      "--docker-username=u", "--docker-password=p"], True),
    (["create", "deployment", "web", "--image=nginx:1.27", "--replicas=3", "--port=80"], True),
    (["create", "deployment", "zero", "--image=busybox", "--replicas=0", "--", "sleep", "1d"],
     True),
    (["create", "service", "clusterip", "svc1", "--tcp=80:8080", "--tcp=443:https"], True),
    (["create", "service", "nodeport", "np1", "--tcp=5678:8080", "--node-port=30080"], True),
    (["create", "service", "externalname", "ext1", "--external-name=example.com"], True),
    (["create", "serviceaccount", "sa1"], True),
    (["create", "job", "job1", "--image=busybox", "--", "echo", "hi"], True),
    (["create", "cronjob", "cj1", "--image=busybox", "--schedule=*/5 * * * *", "--restart=OnFailure",
      "--", "date"], True),
    (["create", "priorityclass", "high", "--value=1000", "--description=important",
      "--preemption-policy=Never"], True),
    (["create", "priorityclass", "low", "--value=0", "--global-default"], True),
    (["create", "role", "r1", "--verb=get,list", "--resource=pods,deployments.apps",
      "--resource-name=web"], True),
    (["create", "rolebinding", "rb1", "--role=r1", "--user=alice", "--group=devs",
      "--serviceaccount=default:sa1"], True),
    (["create", "clusterrole", "cr1", "--verb=get", "--non-resource-url=/healthz"], True),
    (["create", "clusterrole", "agg", "--aggregation-rule=team=a"], True),
    (["create", "clusterrolebinding", "crb1", "--clusterrole=cr1", "--user=bob"], True),
    (["create", "quota", "q1", "--hard=cpu=1,memory=1Gi,pods=10", "--scopes=BestEffort"], True),
    (["create", "poddisruptionbudget", "pdb0", "--selector=app=web", "--min-available=0"], True),
    (["create", "poddisruptionbudget", "pdb1", "--selector=app=web", "--max-unavailable=25%"],
     True),
    (["create", "ingress", "ing1", "--class=nginx", "--rule=foo.com/bar*=svc1:8080,tls=cert",
      "--default-backend=defsvc:http"], True),
    (["create", "token", "sa1", "--duration=10m", "--audience=api"], False),
    (["auth", "can-i", "get", "pods"], False),
    (["auth", "can-i", "create", "deployments.apps", "-n", "prod", "--subresource=scale"], False),
    (["auth", "can-i", "get", "/healthz"], False),
    (["auth", "can-i", "--list", "-n", "kube-system"], False),
    (["auth", "whoami"], False),
]


class Recorder(http.server.BaseHTTPRequestHandler):
    captured = []
    discovery = {}  # path -> aggregated discovery document

    def log_message(self, *args):
        pass

    def reply(self, code):
        body = json.dumps({"kind": "Status", "apiVersion": "v1", "status": "Failure",
                           "message": "capture only", "code": code}).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        # `create role` resolves resource names through discovery.
        path = self.path.split("?")[0]
        if path in Recorder.discovery:
            body = Recorder.discovery[path]
            self.send_response(200)
            self.send_header("Content-Type", "application/json;g=apidiscovery.k8s.io;v=v2;"
                             "as=APIGroupDiscoveryList")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            return
        self.reply(404)

    def do_POST(self):
        length = int(self.headers.get("Content-Length", "0"))
        body = self.rfile.read(length)
        Recorder.captured.append({"method": "POST", "path": self.path,
                                  "content_type": self.headers.get("Content-Type", ""),
                                  "body_hex": body.hex()})
        self.reply(500)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--kubectl", default="kubectl")
    ap.add_argument("--discovery-dir", default="/work/shared/kubectl-contract/examples",
                    help="holds aggregated-discovery-api.json and aggregated-discovery-apis.json")
    args = ap.parse_args()
    for path, name in (("/api", "api"), ("/apis", "apis")):
        with open(os.path.join(args.discovery_dir, "aggregated-discovery-%s.json" % name), "rb") as f:
            Recorder.discovery[path] = f.read()
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Recorder)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    with tempfile.TemporaryDirectory() as tmp:
        with open(os.path.join(tmp, "blob.bin"), "wb") as f:
            f.write(bytes([0, 1, 2, 0xfe, 0xff]) + b"bin")
        kubeconfig = os.path.join(tmp, "config")
        with open(kubeconfig, "w") as f:
            json.dump({"apiVersion": "v1", "kind": "Config", "current-context": "c",
                       "clusters": [{"name": "c", "cluster": {
                           "server": "http://127.0.0.1:%d" % server.server_port}}],
                       "users": [{"name": "u", "user": {"token": "t"}}],
                       "contexts": [{"name": "c", "context": {"cluster": "c", "user": "u",
                                                              "namespace": "default"}}]}, f)
        env = dict(os.environ, KUBECONFIG=kubeconfig, HOME=tmp)
        for argv, dry_run in COMMANDS:
            argv = [a.replace("{tmp}", tmp) for a in argv]
            Recorder.captured.clear()
            subprocess.run([args.kubectl, *argv], env=env, capture_output=True, timeout=60)
            posts = [c for c in Recorder.captured if "protobuf" in c["content_type"]]
            if len(posts) != 1:
                sys.exit("%s: expected one protobuf POST, got %d" % (argv, len(posts)))
            expected = None
            if dry_run:
                cut = argv.index("--") if "--" in argv else len(argv)
                dry = argv[:cut] + ["--dry-run=client", "-o", "json"] + argv[cut:]
                out = subprocess.run([args.kubectl, *dry], env=env, capture_output=True,
                                     timeout=60, check=True)
                expected = json.loads(out.stdout)
            shown = [a.replace(tmp, "{tmp}") for a in argv]
            print(json.dumps({"args": shown, **posts[0], "expected": expected}, sort_keys=True))
    server.shutdown()


if __name__ == "__main__":
    main()
