// Probes and lifecycle hooks (agent.h): liveness/readiness/startup state per container,
// scheduled on the probe queue with AddAfter (initialDelaySeconds, then periodSeconds), results
// with success/failure thresholds, Unhealthy events, and postStart/preStop hooks. Actions run
// in probe_exec.cc.
#include "core/agent/agent.h"
#include "core/agent/probe_exec.h"

namespace capstan::agent {
namespace {

using nlohmann::json;
using std::chrono::milliseconds;

constexpr const char* kKinds[] = {"startup", "liveness", "readiness"};

std::string Title(const std::string& kind) {
  return std::string(1, static_cast<char>(kind[0] - 'a' + 'A')) + kind.substr(1);
}

int64_t Field(const json& probe, const char* key, int64_t fallback) {
  auto it = probe.find(key);
  return it != probe.end() && it->is_number_integer() && it->get<int64_t>() > 0 ? it->get<int64_t>()
                                                                                : fallback;
}

std::string FieldPath(const json& container) {
  return "spec.containers{" + container.value("name", "") + "}";
}

}  // namespace

void Agent::StartProbes(const json& pod, const json& container, const PodRecord& record,
                        const ContainerRecord& rec) {
  json pod_ref = {{"metadata", pod["metadata"]}};
  for (const char* kind : kKinds) {
    std::string member = std::string(kind) + "Probe";
    if (!container.contains(member) || !container[member].is_object()) continue;
    ProbeState st;
    st.pod_key = record.key;
    st.pod_ref = pod_ref;
    st.container = container;
    st.container_id = rec.id;
    st.pod_ip = record.pod_ip;
    st.kind = kind;
    st.probe = container[member];
    st.result = st.kind == "liveness";  // liveness starts passing, the others failing
    std::string key = rec.id + "/" + kind;
    {
      std::lock_guard<std::mutex> lock(probes_mu_);
      probes_[key] = std::move(st);
    }
    probe_queue_->AddAfter(
        key, options_.probe_second * Field(container[member], "initialDelaySeconds", 0));
  }
  // postStart runs after the probes are registered so a kill it asks for is seen at once.
}

void Agent::CancelProbes(const std::string& container_id) {
  std::lock_guard<std::mutex> lock(probes_mu_);
  for (const char* kind : kKinds) probes_.erase(container_id + "/" + kind);
}

Agent::ProbeView Agent::Probes(const std::string& container_id) const {
  ProbeView v;
  std::lock_guard<std::mutex> lock(probes_mu_);
  auto find = [&](const char* kind) -> const ProbeState* {
    auto it = probes_.find(container_id + "/" + kind);
    return it == probes_.end() ? nullptr : &it->second;
  };
  const ProbeState* startup = find("startup");
  const ProbeState* liveness = find("liveness");
  const ProbeState* readiness = find("readiness");
  if (startup != nullptr) v.started = startup->result;
  if (readiness != nullptr) v.ready = readiness->result;
  if (startup != nullptr && !startup->result) v.ready = false;
  std::string name = (startup    ? startup
                      : liveness ? liveness
                                 : readiness) != nullptr
                         ? (startup    ? startup
                            : liveness ? liveness
                                       : readiness)
                               ->container.value("name", "")
                         : "";
  if (startup != nullptr && startup->failed_out) {
    v.kill_message = "Container " + name + " failed startup probe, will be restarted";
  } else if (liveness != nullptr && liveness->failed_out) {
    v.kill_message = "Container " + name + " failed liveness probe, will be restarted";
  }
  return v;
}

void Agent::ProbeLoop() {
  while (std::optional<std::string> key = probe_queue_->Get()) {
    ProbeState st;
    bool found = false, gated = false;
    {
      std::lock_guard<std::mutex> lock(probes_mu_);
      auto it = probes_.find(*key);
      if (it != probes_.end()) {
        st = it->second;
        found = true;
        auto startup = probes_.find(st.container_id + "/startup");
        gated = st.kind != "startup" && startup != probes_.end() && !startup->second.result;
      }
    }
    if (!found) {
      probe_queue_->Done(*key);
      continue;
    }
    milliseconds period = options_.probe_second * Field(st.probe, "periodSeconds", 10);
    if (gated) {  // liveness and readiness wait for the startup probe
      probe_queue_->AddAfter(*key, period);
      probe_queue_->Done(*key);
      continue;
    }
    milliseconds timeout = options_.probe_second * Field(st.probe, "timeoutSeconds", 1);
    ProbeOutcome out =
        RunProbeAction(*runtime_, st.probe, st.pod_ip, st.container, st.container_id, timeout);
    bool changed = false, keep = false;
    {
      std::lock_guard<std::mutex> lock(probes_mu_);
      auto it = probes_.find(*key);
      if (it != probes_.end()) {
        ProbeState& s = it->second;
        keep = true;
        if (out.success) {
          s.failures = 0;
          if (++s.successes >= Field(s.probe, "successThreshold", 1) && !s.result) {
            s.result = true;
            changed = true;
          }
        } else {
          s.successes = 0;
          if (++s.failures >= Field(s.probe, "failureThreshold", 3) &&
              (s.result || s.kind == "startup")) {
            s.result = false;
            s.failed_out = s.kind != "readiness";
            changed = true;
          }
        }
        // A passed startup probe and a failed-out liveness/startup probe are done.
        if ((s.kind == "startup" && s.result) || s.failed_out) keep = false;
      }
    }
    if (!out.success && (keep || changed)) {
      events_.Record(st.pod_ref, FieldPath(st.container), true, "Unhealthy",
                     Title(st.kind) + " probe failed: " + out.message);
    }
    if (changed) queue_->Add(st.pod_key);
    if (keep) probe_queue_->AddAfter(*key, period);
    probe_queue_->Done(*key);
  }
}

void Agent::PostStartHook(const json& pod, const json& container, const PodRecord& record,
                          ContainerRecord& rec, const std::string& field) {
  const json lifecycle = container.value("lifecycle", json::object());
  if (!lifecycle.contains("postStart")) return;
  int64_t grace = pod["spec"].value("terminationGracePeriodSeconds", int64_t{30});
  ProbeOutcome out = RunProbeAction(*runtime_, lifecycle["postStart"], record.pod_ip, container,
                                    rec.id, options_.probe_second * std::max<int64_t>(grace, 1));
  if (out.success) return;
  events_.Record(pod, field, true, "FailedPostStartHook", "PostStartHook failed: " + out.message);
  rec.kill_reason = "FailedPostStartHook";
  events_.Record(pod, field, false, "Killing",
                 "Container " + container.value("name", "") + " failed post-start hook");
  (void)runtime_->Call("StopContainer", {{"containerId", rec.id}, {"timeout", grace}});
}

void Agent::RunPreStopHooks(const json& pod, PodRecord& record) {
  const json spec = pod.value("spec", json::object());
  int64_t grace = spec.value("terminationGracePeriodSeconds", int64_t{30});
  for (const json& c : spec.value("containers", json::array())) {
    const json lifecycle = c.value("lifecycle", json::object());
    if (!lifecycle.contains("preStop")) continue;
    auto it = record.containers.find("main/" + c.value("name", ""));
    if (it == record.containers.end() || it->second.id.empty()) continue;
    std::string field = FieldPath(c);
    events_.Record(pod, field, false, "Killing", "Stopping container " + c.value("name", ""));
    ProbeOutcome out =
        RunProbeAction(*runtime_, lifecycle["preStop"], record.pod_ip, c, it->second.id,
                       options_.probe_second * std::max<int64_t>(grace, 1));
    if (!out.success) {
      events_.Record(pod, field, true, "FailedPreStopHook", "PreStopHook failed: " + out.message);
    }
  }
}

}  // namespace capstan::agent
