"""End-to-end: the cronjob, ttl-after-finished and serviceaccount controller plugins inside a
real `capstan server`, driven by unmodified kubectl. No agent: Jobs are finished by PATCHing
jobs/status (as the job controller would once pods succeed). To see two activations within a
minute, CronJobs start suspended with status.lastScheduleTime set three minutes back, so their
latest missed activation runs at once when unsuspended; the next comes at the minute boundary."""
import datetime
import json
import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from capstan_cluster import Cluster  # noqa: E402

CRONJOB = """
apiVersion: batch/v1
kind: CronJob
metadata:
  name: {name}
spec:
  schedule: "*/1 * * * *"
  suspend: true
  concurrencyPolicy: {policy}
  successfulJobsHistoryLimit: 1
  jobTemplate:
    spec:
      template:
        spec:
          restartPolicy: Never
          containers:
          - {{name: c, image: busybox, command: ["true"]}}
"""

TTL_JOB = """
apiVersion: batch/v1
kind: Job
metadata:
  name: brief
spec:
  ttlSecondsAfterFinished: 1
  template:
    spec:
      restartPolicy: Never
      containers:
      - {name: c, image: busybox, command: ["true"]}
"""


def rfc3339(delta_seconds=0):
    t = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(seconds=delta_seconds)
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


class CronJobTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.c = Cluster()

    @classmethod
    def tearDownClass(cls):
        cls.c.stop()

    def get(self, *args):
        return json.loads(self.c.kubectl("get", *args, "-o", "json"))

    def jobs_of(self, cronjob):
        return sorted((j for j in self.get("jobs")["items"]
                       if any(r.get("name") == cronjob and r.get("kind") == "CronJob"
                              for r in j["metadata"].get("ownerReferences", []))),
                      key=lambda j: j["metadata"]["name"])

    def finish(self, job, start_delta):
        status = {"status": {"startTime": rfc3339(start_delta), "completionTime": rfc3339(),
                             "conditions": [{"type": "Complete", "status": "True",
                                             "lastTransitionTime": rfc3339()}]}}
        self.c.kubectl("patch", "job", job, "--subresource=status", "--type=merge",
                       "-p", json.dumps(status))

    def events(self, name):
        return [e["reason"] for e in self.get("events", "--field-selector",
                                              "involvedObject.name=" + name)["items"]]

    def start_cronjob(self, name, policy):
        self.c.kubectl("apply", "-f", "-", input=CRONJOB.format(name=name, policy=policy))
        self.c.kubectl("patch", "cronjob", name, "--subresource=status", "--type=merge", "-p",
                       json.dumps({"status": {"lastScheduleTime": rfc3339(-180)}}))
        self.c.kubectl("patch", "cronjob", name, "--type=merge", "-p",
                       json.dumps({"spec": {"suspend": False}}))

    def test_schedules_forbid_and_history_limit_over_one_minute_boundary(self):
        self.start_cronjob("allow", "Allow")
        self.start_cronjob("forbid", "Forbid")
        for name in ("allow", "forbid"):
            self.c.wait_for(lambda: len(self.jobs_of(name)) == 1, timeout=20,
                            what="the missed activation of " + name)
        first = self.jobs_of("allow")[0]
        annotations = first["metadata"]["annotations"]
        self.assertIn("batch.kubernetes.io/cronjob-scheduled-timestamp", annotations)
        minutes = int(first["metadata"]["name"].rsplit("-", 1)[1])
        self.assertEqual(datetime.datetime.strptime(
            annotations["batch.kubernetes.io/cronjob-scheduled-timestamp"],
            "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=datetime.timezone.utc).timestamp(), minutes * 60)
        cj = self.get("cronjob", "allow")
        self.assertEqual([a["name"] for a in cj["status"]["active"]], [first["metadata"]["name"]])
        self.finish(first["metadata"]["name"], -120)
        self.c.wait_for(lambda: "active" not in self.get("cronjob", "allow")["status"],
                        what="the finished Job to leave status.active")
        self.assertIn("lastSuccessfulTime", self.get("cronjob", "allow")["status"])

        # The next activation (at most a minute away) starts a second Job for Allow only.
        self.c.wait_for(lambda: len(self.jobs_of("allow")) == 2, timeout=75,
                        what="the scheduled activation of allow")
        self.c.wait_for(lambda: "JobAlreadyActive" in self.events("forbid"), timeout=20,
                        what="forbid to skip its activation")
        self.assertEqual(len(self.jobs_of("forbid")), 1)

        # Finishing the second Job leaves one successful Job: the older one is deleted.
        second = [j for j in self.jobs_of("allow")
                  if j["metadata"]["name"] != first["metadata"]["name"]][0]
        self.finish(second["metadata"]["name"], 0)
        self.c.wait_for(lambda: [j["metadata"]["name"] for j in self.jobs_of("allow")
                                 if not j["metadata"].get("deletionTimestamp")] ==
                        [second["metadata"]["name"]], timeout=20,
                        what="the history limit to delete the older Job")

    def test_kubectl_creates_a_cronjob_and_a_job_from_it(self):
        self.c.kubectl("create", "cronjob", "x", "--image=busybox", "--schedule=*/1 * * * *")
        self.assertEqual(self.get("cronjob", "x")["spec"]["schedule"], "*/1 * * * *")
        self.c.kubectl("create", "job", "manual", "--from=cronjob/x")
        job = self.get("job", "manual")
        self.assertEqual(job["metadata"]["annotations"]["cronjob.kubernetes.io/instantiate"],
                         "manual")
        self.assertEqual(job["metadata"]["ownerReferences"][0]["name"], "x")
        out = self.c.kubectl("create", "cronjob", "bad", "--image=busybox",
                             "--schedule=61 * * * *", check=False)
        self.assertNotEqual(out.returncode, 0)
        self.assertIn("spec.schedule", out.stderr)

    def test_a_finished_job_is_deleted_after_its_ttl(self):
        self.c.kubectl("apply", "-f", "-", input=TTL_JOB)
        self.finish("brief", 0)
        self.c.wait_for(lambda: self.c.kubectl("get", "job", "brief", check=False).returncode != 0,
                        timeout=30, what="the Job to be deleted after its TTL")

    def test_a_new_namespace_gets_a_default_service_account(self):
        self.c.kubectl("create", "namespace", "team")
        self.c.wait_for(lambda: self.c.kubectl("get", "sa", "default", "-n", "team",
                                               check=False).returncode == 0,
                        what="the default ServiceAccount")
        self.c.kubectl("delete", "sa", "default", "-n", "team")
        self.c.wait_for(lambda: self.c.kubectl("get", "sa", "default", "-n", "team",
                                               check=False).returncode == 0,
                        what="the default ServiceAccount to come back")


if __name__ == "__main__":
    unittest.main()
