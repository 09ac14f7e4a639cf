#!/usr/bin/env python3
"""Pod start-up benchmark of the node agent with real runc (issue 6): a `capstan server` whose
local agent runs pods under runc on a bridge of this run (tests/e2e/node_fixture.RuncCluster,
busybox image from a local registry, pulled before timing). Prints JSON:
  serial   create -> Running as seen through a watch, one pod at a time (p50/p99/max ms);
  burst    N pods created at once (default 110, the node's pod capacity): time until all run;
  agent    idle RSS of a separate `capstan agent --runtime runc` process with no pods.
With --timeline the server logs at debug level and the serial figures gain a breakdown: when the
pod was seen bound through the watch, and the p50 of each step of the agent's "pod sync
timeline" records (core/agent/sync_timeline.h); those are ms spent inside one sync, the rest of
create -> Running is scheduling, watch delivery and the agent's queue.
Needs root, runc, umoci, skopeo, docker-registry and busybox. Usage:
  CAPSTAN_BIN=build/release/core/cmd/capstan bench/pod_startup_bench.py [--pods 100] [--burst 110]
      [--timeline] [--skip-burst] [--skip-rss] [--server-arg=--flag ...]
"""
import argparse
import base64
import http.client
import json
import os
import shutil
import ssl
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "e2e"))
from node_fixture import RuncCluster, runc_cluster_available  # noqa: E402


class Api:
    """HTTPS to the server with the admin kubeconfig's client certificate."""

    def __init__(self, kubeconfig, tmp):
        with open(kubeconfig) as f:
            text = f.read()
        cfg = json.loads(text) if text.lstrip().startswith("{") else self._yaml(text)
        user = cfg["users"][0]["user"]
        cluster = cfg["clusters"][0]["cluster"]
        self.url = urllib.parse.urlparse(cluster["server"])
        files = {}
        for key in ("client-certificate-data", "client-key-data"):
            path = os.path.join(tmp, key)
            with open(path, "wb") as f:
                f.write(base64.b64decode(user[key]))
            files[key] = path
        self.ctx = ssl.create_default_context()
        self.ctx.check_hostname = False
        self.ctx.verify_mode = ssl.CERT_NONE
        self.ctx.load_cert_chain(files["client-certificate-data"], files["client-key-data"])

    @staticmethod
    def _yaml(text):
        import yaml  # python3-yaml, present with python3-kubernetes
        return yaml.safe_load(text)

    def connect(self):
        return http.client.HTTPSConnection(self.url.hostname, self.url.port, context=self.ctx,
                                           timeout=300)

    def request(self, conn, method, path, body=None):
        data = json.dumps(body).encode() if body is not None else None
        conn.request(method, path, body=data, headers={"Content-Type": "application/json"})
        resp = conn.getresponse()
        payload = resp.read()
        if resp.status >= 300:
            raise RuntimeError("%s %s: %d %s" % (method, path, resp.status, payload[:300]))
        return json.loads(payload)


def running(pod):
    status = pod.get("status", {})
    if status.get("phase") != "Running":
        return False
    states = status.get("containerStatuses") or []
    return bool(states) and all("running" in s.get("state", {}) for s in states)


class RunningWatch:
    """Watches pods of a namespace and records when each is first seen running."""

    def __init__(self, api, namespace, resource_version):
        self.seen = {}
        self.bound = {}
        self.cond = threading.Condition()
        self.conn = api.connect()
        self.conn.request("GET", "/api/v1/namespaces/%s/pods?watch=1&resourceVersion=%s" %
                          (namespace, resource_version))
        self.resp = self.conn.getresponse()
        threading.Thread(target=self._run, daemon=True).start()

    def _run(self):
        try:
            for line in self.resp:
                event = json.loads(line)
                pod = event.get("object", {})
                name = pod.get("metadata", {}).get("name")
                if event.get("type") != "DELETED" and pod.get("spec", {}).get("nodeName"):
                    self.bound.setdefault(name, time.monotonic())
                if event.get("type") != "DELETED" and running(pod):
                    with self.cond:
                        self.seen.setdefault(name, time.monotonic())
                        self.cond.notify_all()
        except (OSError, ValueError, http.client.HTTPException):
            pass

    def wait(self, names, timeout):
        deadline = time.monotonic() + timeout
        with self.cond:
            while not all(n in self.seen for n in names):
                left = deadline - time.monotonic()
                if left <= 0:
                    missing = [n for n in names if n not in self.seen]
                    raise RuntimeError("not running in time: %s" % missing[:5])
                self.cond.wait(left)
        return [self.seen[n] for n in names]


def pod(name):
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name},
            "spec": {"terminationGracePeriodSeconds": 0,
                     "containers": [{"name": "c", "image": "busybox",
                                     "imagePullPolicy": "IfNotPresent",
                                     "command": ["sleep", "3600"]}]}}


def percentile(values, p):
    v = sorted(values)
    return v[min(len(v) - 1, int(round(p * (len(v) - 1))))]


def timeline_breakdown(log_text, names):
    """p50 per step (ms) of the agent's debug "pod sync timeline" records of pods `names`."""
    wanted = set("default/" + n for n in names)
    steps = {}
    for line in log_text.splitlines():
        if 'msg="pod sync timeline"' not in line:
            continue
        fields = dict(kv.split("=", 1) for kv in
                      line.split('msg="pod sync timeline"', 1)[1].replace('"', "").split()
                      if "=" in kv)
        if fields.get("pod") not in wanted:
            continue
        # steps="a=1.0 b=2.0" was split on spaces: the first step carries the "steps=" prefix.
        for kv in line.split('steps="', 1)[1].split('"', 1)[0].split() + [
                "total=" + fields.get("total_ms", "0")]:
            k, v = kv.split("=", 1)
            steps.setdefault(k, []).append(float(v))
    return {k: round(percentile(v, 0.5), 2) for k, v in sorted(steps.items())}


def delete_all(api, conn, namespace, names, watch_timeout=120):
    for n in names:
        api.request(conn, "DELETE", "/api/v1/namespaces/%s/pods/%s" % (namespace, n))
    deadline = time.monotonic() + watch_timeout
    while time.monotonic() < deadline:
        items = api.request(conn, "GET", "/api/v1/namespaces/%s/pods" % namespace)["items"]
        if not items:
            return
        time.sleep(0.2)


def agent_idle_rss(cluster, tmp, binary, plugin_dir):
    """Starts a second agent (its own bridge and subnet, no pods), waits for its node to be
    Ready, lets it idle, and reads its VmRSS in kB."""
    suffix = str(os.getpid() % 100000)
    bridge, node = "capbench" + suffix, "bench-agent-" + suffix
    config = os.path.join(tmp, "agent-plugins.json")
    state = os.path.join(tmp, "agent")
    with open(config, "w") as f:
        json.dump({"apiVersion": "capstan.io/v1alpha1", "kind": "PluginConfiguration",
                   "pluginDirs": [plugin_dir],
                   "chains": {"runtime": {"plugins": [{"name": "runc",
                                                       "library": "runtime/runc.so",
                                                       "config": {"stateDir": state + "/runc"}}]},
                              "cni": {"plugins": [{"name": "pods", "library": "cni/bridge.so",
                                                   "config": {"subnet": "10.199.77.0/24",
                                                              "bridge": bridge,
                                                              "stateDir": state + "/cni"}}]}}},
                  f)
    log = open(os.path.join(tmp, "agent.log"), "w")
    proc = subprocess.Popen([binary, "agent", "--kubeconfig", cluster.kubeconfig,
                             "--node-name", node, "--data-dir", state, "--plugin-config", config,
                             "--listen-port", "0", "--proxy-table", "capstan-proxy-" + bridge,
                             "--network-policy-table", "capstan-netpol-" + bridge],
                            stdout=log, stderr=log)
    try:
        def ready():
            out = cluster.kubectl("get", "node", node, "-o", "json", check=False)
            try:
                conds = json.loads(out.stdout)["status"]["conditions"]
            except (ValueError, KeyError):
                return False
            return any(c["type"] == "Ready" and c["status"] == "True" for c in conds)
        cluster.wait_for(ready, timeout=60, what="agent node Ready")
        time.sleep(10)  # idle: heartbeats and informers only
        with open("/proc/%d/status" % proc.pid) as f:
            rss = next(int(line.split()[1]) for line in f if line.startswith("VmRSS:"))
        return rss
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        log.close()
        cluster.kubectl("delete", "node", node, check=False)
        subprocess.run(["ip", "link", "del", bridge], capture_output=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pods", type=int, default=100)
    parser.add_argument("--burst", type=int, default=110)
    parser.add_argument("--plugin-dir", default=os.environ.get("CAPSTAN_PLUGIN_DIR", ""))
    parser.add_argument("--timeline", action="store_true",
                        help="server at debug level; per-step p50 of the agent's pod syncs")
    parser.add_argument("--server-arg", action="append", default=[],
                        help="extra `capstan server` argument (repeatable)")
    parser.add_argument("--skip-burst", action="store_true")
    parser.add_argument("--skip-rss", action="store_true")
    args = parser.parse_args()
    if not runc_cluster_available():
        print("pod_startup_bench: needs root, runc, umoci, skopeo, docker-registry, busybox",
              file=sys.stderr)
        return 2
    binary = os.environ.get("CAPSTAN_BIN", "capstan")
    plugin_dir = args.plugin_dir or os.path.join(
        os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(binary)))),
        "plugins-out")
    server_args = tuple(args.server_arg) + (("--log-level", "debug") if args.timeline else ())
    rc = RuncCluster("podbench", extra_args=server_args)
    tmp = tempfile.mkdtemp(prefix="capstan-podbench-")
    result = {"benchmark": "pod_startup_runc", "pods": args.pods, "burst": args.burst}
    try:
        c = rc.cluster
        api = Api(c.kubeconfig, tmp)
        conn = api.connect()
        ns = "default"
        # Warm-up: the image is pulled and unpacked once, outside the timing.
        rv = api.request(conn, "GET", "/api/v1/namespaces/%s/pods" % ns)["metadata"][
            "resourceVersion"]
        watch = RunningWatch(api, ns, rv)
        api.request(conn, "POST", "/api/v1/namespaces/%s/pods" % ns, pod("warm"))
        watch.wait(["warm"], 180)
        delete_all(api, conn, ns, ["warm"])

        latencies, bound = [], []
        serial = ["serial-%d" % i for i in range(args.pods)]
        for name in serial:
            start = time.monotonic()
            api.request(conn, "POST", "/api/v1/namespaces/%s/pods" % ns, pod(name))
            latencies.append((watch.wait([name], 60)[0] - start) * 1000)
            if name in watch.bound:
                bound.append((watch.bound[name] - start) * 1000)
        result["serial"] = {"count": len(latencies),
                            "p50_ms": round(percentile(latencies, 0.5), 1),
                            "p99_ms": round(percentile(latencies, 0.99), 1),
                            "max_ms": round(max(latencies), 1)}
        if bound:
            result["serial"]["bound_seen_p50_ms"] = round(percentile(bound, 0.5), 1)
        if args.timeline:
            result["serial"]["agent_sync_p50_ms"] = timeline_breakdown(c.server_log(), serial)
        delete_all(api, conn, ns, serial)

        if not args.skip_burst:
            names = ["burst-%d" % i for i in range(args.burst)]
            start = time.monotonic()
            for n in names:
                api.request(conn, "POST", "/api/v1/namespaces/%s/pods" % ns, pod(n))
            created = time.monotonic()
            times = watch.wait(names, 300)
            result["burst"] = {"count": len(names), "create_s": round(created - start, 2),
                               "all_running_s": round(max(times) - start, 2),
                               "p50_ms": round(percentile([(t - start) * 1000 for t in times],
                                                          0.5), 1)}
            delete_all(api, conn, ns, names, watch_timeout=300)
        if not args.skip_rss:
            result["agent_idle_rss_kb"] = agent_idle_rss(c, tmp, binary, plugin_dir)
        result["loadavg_1m"] = os.getloadavg()[0]
    finally:
        rc.stop()
        shutil.rmtree(tmp, ignore_errors=True)
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
