// Image resolution for containers (agent.h `EnsureImage`): imagePullPolicy (upstream default),
// imagePullSecrets, the kubelet's events (Pulling, Pulled, Failed, BackOff) and waiting reasons
// (ErrImagePull, then ImagePullBackOff with doubling backoff; ErrImageNeverPull).
#include <cstdio>

#include "core/agent/agent.h"
#include "core/agent/sync_util.h"
#include "core/common/log.h"
#include "core/image/digest.h"

namespace capstan::agent {
namespace {

using nlohmann::json;
using std::chrono::milliseconds;
using Clock = std::chrono::steady_clock;

std::string Seconds(Clock::duration d) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%.3fs",
                std::chrono::duration_cast<std::chrono::duration<double>>(d).count());
  return buf;
}

}  // namespace

image::CredentialMap Agent::PullSecrets(const json& pod) {
  image::CredentialMap out;
  const json spec = pod.value("spec", json::object());
  std::string ns = pod["metadata"].value("namespace", "default");
  for (const json& ref : spec.value("imagePullSecrets", json::array())) {
    std::string name = ref.value("name", "");
    Result<json> secret = options_.client->Get("/api/v1/namespaces/" + ns + "/secrets/" + name);
    if (!secret.ok()) {
      events_.Record(pod, "", true, "FailedToRetrieveImagePullSecret",
                     "Unable to retrieve some image pull secrets (" + name +
                         "); attempting to pull the image may not succeed.");
      continue;
    }
    const json data = secret->value("data", json::object());
    std::string key = data.contains(".dockerconfigjson") ? ".dockerconfigjson" : ".dockercfg";
    if (!data.contains(key) || !data[key].is_string()) continue;
    Result<std::string> raw = image::Base64Decode(data[key].get<std::string>());
    if (!raw.ok()) continue;
    Result<image::CredentialMap> creds = image::ParseDockerConfigJson(*raw);
    if (!creds.ok()) {
      log::Warn("agent", "bad pull secret " + ns + "/" + name + ": " + creds.status().message());
      continue;
    }
    for (auto& [domain, c] : *creds) out.emplace(domain, c);  // the first secret wins
  }
  return out;
}

std::optional<image::ImageRecord> Agent::EnsureImage(const json& pod, const json& container,
                                                     const std::string& field, ContainerRecord& rec,
                                                     milliseconds* requeue_after) {
  std::string image = container.value("image", "");
  image::PullPolicy policy = image::DefaultPullPolicy(image);
  if (container.contains("imagePullPolicy") && container["imagePullPolicy"].is_string()) {
    Result<image::PullPolicy> p =
        image::ParsePullPolicy(container["imagePullPolicy"].get<std::string>());
    if (p.ok()) policy = *p;
  }
  Result<image::ImageRecord> local = options_.images->Get(image);
  if (!image::ShouldPull(policy, local.ok())) {
    if (local.ok()) {
      if (rec.image_id != local->id) {
        events_.Record(pod, field, false, "Pulled",
                       "Container image \"" + image + "\" already present on machine");
      }
      return *local;
    }
    rec.waiting_reason = "ErrImageNeverPull";
    rec.waiting_message =
        "Container image \"" + image + "\" is not present with pull policy of Never";
    events_.Record(pod, field, true, "ErrImageNeverPull", rec.waiting_message);
    LowerRequeue(requeue_after, options_.image_backoff_max);
    return std::nullopt;
  }
  if (Clock::now() < rec.pull_retry_at) {
    rec.waiting_reason = "ImagePullBackOff";
    rec.waiting_message = "Back-off pulling image \"" + image + "\"";
    events_.Record(pod, field, false, "BackOff", rec.waiting_message);
    events_.Record(pod, field, true, "Failed", "Error: ImagePullBackOff");
    LowerRequeue(requeue_after,
                 std::chrono::duration_cast<milliseconds>(rec.pull_retry_at - Clock::now()));
    return std::nullopt;
  }
  events_.Record(pod, field, false, "Pulling", "Pulling image \"" + image + "\"");
  auto began = Clock::now();
  Result<image::ImageRecord> pulled = options_.images->Pull(image, PullSecrets(pod));
  if (!pulled.ok()) {
    rec.waiting_reason = "ErrImagePull";
    rec.waiting_message = pulled.status().message();
    events_.Record(pod, field, true, "Failed",
                   "Failed to pull image \"" + image + "\": " + pulled.status().message());
    events_.Record(pod, field, true, "Failed", "Error: ErrImagePull");
    rec.pull_backoff = rec.pull_backoff.count() == 0
                           ? options_.image_backoff_initial
                           : std::min(rec.pull_backoff * 2, options_.image_backoff_max);
    rec.pull_retry_at = Clock::now() + rec.pull_backoff;
    // Sync again soon to show ImagePullBackOff, and again when the backoff ends.
    LowerRequeue(requeue_after, std::min(rec.pull_backoff, options_.relist_period));
    return std::nullopt;
  }
  auto took = Clock::now() - began;
  rec.pull_backoff = milliseconds(0);
  events_.Record(
      pod, field, false, "Pulled",
      "Successfully pulled image \"" + image + "\" in " + Seconds(took) + " (" + Seconds(took) +
          " including waiting). Image size: " + std::to_string(pulled->size) + " bytes.");
  return *pulled;
}

}  // namespace capstan::agent
