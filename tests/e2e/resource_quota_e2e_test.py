"""End-to-end: ResourceQuota in a real `capstan server` (no agent; pods stay Pending and count)
with the default `resourcequota` controller and `resource-quota` admission plugins, driven by
unmodified kubectl: `kubectl create quota`, `kubectl describe quota` showing Used, the third
pod refused with upstream's 403 message, pods without a tracked request refused, and a deleted
pod freeing room."""
import os
import re
import sys
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from capstan_cluster import ClusterTestCase  # noqa: E402

POD = """
apiVersion: v1
kind: Pod
metadata:
  name: {name}
spec:
  containers:
  - name: app
    image: busybox
    resources:
      requests: {requests}
"""


class ResourceQuotaTest(ClusterTestCase):
    NS = "quota-e2e"

    def create_pod(self, name, requests='{cpu: 100m}', check=True):
        return self.c.kubectl("create", "-n", self.NS, "-f", "-", check=check,
                              input=POD.format(name=name, requests=requests))

    def describe(self):
        return self.c.kubectl("describe", "quota", "q", "-n", self.NS)

    def wait_used(self, resource, used, hard):
        pattern = re.compile(r"^%s\s+%s\s+%s\s*$" % (re.escape(resource), used, hard), re.M)
        self.c.wait_for(lambda: pattern.search(self.describe()), timeout=30,
                        what="%s used %s/%s in:\n%s" % (resource, used, hard, self.describe()))

    def test_quota_tracks_usage_refuses_excess_and_frees_room_on_delete(self):
        self.c.kubectl("create", "namespace", self.NS)
        self.c.kubectl("create", "quota", "q", "-n", self.NS, "--hard=pods=2,requests.cpu=1")
        self.wait_used("pods", "0", "2")
        self.wait_used("requests.cpu", "0", "1")

        self.create_pod("p1")
        self.create_pod("p2")
        r = self.create_pod("p3", check=False)
        self.assertNotEqual(r.returncode, 0, r.stdout)
        self.assertIn('pods "p3" is forbidden: exceeded quota: q, requested: pods=1, '
                      'used: pods=2, limited: pods=2', r.stderr)
        self.wait_used("pods", "2", "2")
        self.wait_used("requests.cpu", "200m", "1")
        quota = self.get_json("quota", "q", "-n", self.NS)
        self.assertEqual(quota["status"]["hard"], {"pods": "2", "requests.cpu": "1"})

        self.c.kubectl("delete", "pod", "p1", "-n", self.NS, "--wait=false")
        self.wait_used("pods", "1", "2")
        self.create_pod("p3")
        self.wait_used("requests.cpu", "200m", "1")

    def test_a_pod_without_a_tracked_request_is_refused(self):
        ns = "quota-e2e-req"
        self.c.kubectl("create", "namespace", ns)
        self.c.kubectl("create", "quota", "cpu", "-n", ns, "--hard=requests.cpu=2,limits.cpu=2")
        r = self.c.kubectl("create", "-n", ns, "-f", "-", check=False,
                           input=POD.format(name="bare", requests="{memory: 1Mi}"))
        self.assertNotEqual(r.returncode, 0, r.stdout)
        self.assertIn('pods "bare" is forbidden: failed quota: cpu: must specify '
                      'limits.cpu for: app; requests.cpu for: app', r.stderr)


if __name__ == "__main__":
    unittest.main()
