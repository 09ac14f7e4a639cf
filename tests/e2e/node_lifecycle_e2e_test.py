"""End-to-end: the node-lifecycle controller plugin inside a real `capstan server` (no agent),
driven by unmodified kubectl. An operator plugin file (--plugin-config) runs it with a 6 s
grace period. A Node registered with a fresh Ready heartbeat and a Lease, then left alone,
turns NotReady (Unknown) with the unreachable taints and its intolerant pod is evicted;
renewing the Lease and the Ready condition brings it back and removes the taints."""
import datetime
import json
import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from capstan_cluster import Cluster  # noqa: E402

PLUGIN_CONFIG = """
apiVersion: capstan.io/v1alpha1
kind: PluginConfiguration
pluginDirs: [{plugin_dir}]
chains:
  authn:
    plugins:
      - {{name: x509, library: auth/x509.so}}
  authz:
    plugins:
      - {{name: allow, library: auth/always-allow.so}}
  controller:
    plugins:
      - name: node-lifecycle
        library: controllers/node-lifecycle.so
        config: {{nodeMonitorGracePeriod: 6s, nodeStartupGracePeriod: 6s}}
"""

NODE = """
apiVersion: v1
kind: Node
metadata:
  name: w1
"""

LEASE = """
apiVersion: coordination.k8s.io/v1
kind: Lease
metadata:
  name: w1
  namespace: kube-node-lease
spec:
  holderIdentity: w1
  leaseDurationSeconds: 40
  renewTime: "{now}"
"""

POD = """
apiVersion: v1
kind: Pod
metadata:
  name: stranded
spec:
  nodeName: w1
  containers:
  - {name: c, image: busybox}
"""

UNREACHABLE = "node.kubernetes.io/unreachable"


def plugin_dir():
    if os.environ.get("CAPSTAN_PLUGIN_DIR"):
        return os.environ["CAPSTAN_PLUGIN_DIR"]
    binary = os.path.realpath(os.environ.get("CAPSTAN_BIN", "capstan"))
    return os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(binary))), "plugins-out")


def now(micro=False):
    t = datetime.datetime.now(datetime.timezone.utc)
    return t.strftime("%Y-%m-%dT%H:%M:%S.%fZ" if micro else "%Y-%m-%dT%H:%M:%SZ")


class NodeLifecycleTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.config_dir = os.path.join("/tmp", "capstan-nl-e2e-%d" % os.getpid())
        os.makedirs(cls.config_dir, exist_ok=True)
        path = os.path.join(cls.config_dir, "plugins.yaml")
        with open(path, "w") as f:
            f.write(PLUGIN_CONFIG.format(plugin_dir=json.dumps(plugin_dir())))
        cls.c = Cluster(extra_args=["--plugin-config", path], node_lifecycle=True)

    @classmethod
    def tearDownClass(cls):
        cls.c.stop()
        for name in os.listdir(cls.config_dir):
            os.remove(os.path.join(cls.config_dir, name))
        os.rmdir(cls.config_dir)

    def heartbeat(self):
        ready = {"type": "Ready", "status": "True", "reason": "KubeletReady",
                 "message": "kubelet is posting ready status",
                 "lastHeartbeatTime": now(), "lastTransitionTime": now()}
        self.c.kubectl("patch", "node", "w1", "--subresource=status", "--type=merge",
                       "-p", json.dumps({"status": {"conditions": [ready]}}))
        self.c.kubectl("apply", "-f", "-", input=LEASE.format(now=now(micro=True)))

    def node(self):
        return json.loads(self.c.kubectl("get", "node", "w1", "-o", "json"))

    def taints(self):
        return [(t["key"], t["effect"]) for t in self.node()["spec"].get("taints", [])]

    def test_a_silent_node_is_tainted_its_pod_evicted_and_it_recovers(self):
        c = self.c
        c.kubectl("create", "namespace", "kube-node-lease", check=False)
        c.kubectl("apply", "-f", "-", input=NODE)
        self.heartbeat()
        c.kubectl("apply", "-f", "-", input=POD)

        c.wait_for(lambda: " NotReady " in c.kubectl("get", "nodes", "w1"), timeout=20,
                   what="node NotReady")
        ready = [x for x in self.node()["status"]["conditions"] if x["type"] == "Ready"][0]
        self.assertEqual(ready["status"], "Unknown")
        self.assertEqual(ready["reason"], "NodeStatusUnknown")
        c.wait_for(lambda: (UNREACHABLE, "NoExecute") in self.taints(), timeout=20,
                   what="unreachable taint")
        self.assertIn((UNREACHABLE, "NoSchedule"), self.taints())
        self.assertIn(UNREACHABLE + ":NoExecute", c.kubectl("describe", "node", "w1"))

        def evicted():
            r = c.kubectl("get", "pod", "stranded", "-o", "json", check=False)
            return r.returncode != 0 or "deletionTimestamp" in json.loads(r.stdout)["metadata"]
        c.wait_for(evicted, timeout=20, what="pod evicted")
        events = c.kubectl("get", "events")
        self.assertIn("TaintManagerEviction", events)
        self.assertIn("Marking for deletion Pod default/stranded", events)

        self.heartbeat()
        c.wait_for(lambda: " Ready " in c.kubectl("get", "nodes", "w1") and not any(
            k == UNREACHABLE for k, _ in self.taints()), timeout=20, what="node Ready again")


if __name__ == "__main__":
    unittest.main()
