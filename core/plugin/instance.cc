// Instance lifecycle and call plumbing (instance.h).
#include "core/plugin/instance.h"

namespace capstan::plugin {

PluginInstance::PluginInstance(std::shared_ptr<const Library> library, std::string name)
    : library_(std::move(library)), name_(std::move(name)) {}

Status PluginInstance::ValidateConfig(const Library& library, const std::string& instance_name,
                                      const nlohmann::json& config) {
  const std::string context = "config for plugin '" + instance_name + "' is invalid";
  if (library.schema() != nullptr) {
    Status s = library.schema()->Validate(config);
    if (!s.ok()) return InvalidError(context + " " + s.message());
  } else if (!config.is_object()) {
    return InvalidError(context + ": must be a JSON object (the plugin has no schema)");
  }
  return Status::Ok();
}

Result<std::unique_ptr<PluginInstance>> PluginInstance::Create(
    const std::shared_ptr<const Library>& library, InstanceOptions options) {
  const PluginInfo& info = library->info();
  if (!IsValidPluginName(options.name)) {
    return InvalidError("instance name \"" + options.name + "\" of plugin '" + info.name +
                        "' is invalid: want [a-z0-9][a-z0-9._-]*");
  }
  CAPSTAN_RETURN_IF_ERROR(ValidateConfig(*library, options.name, options.config));
  CAPSTAN_RETURN_IF_ERROR(library->object().AcquireInstance(info, options.name));

  std::unique_ptr<PluginInstance> instance(new PluginInstance(library, options.name));
  instance->host_ = std::make_unique<HostContext>(HostContext::Options{
      info.name, options.name, std::move(options.executor), std::move(options.metrics)});
  if (options.configure_host) options.configure_host(*instance->host_);

  const std::string config_text =
      options.config.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  capstan_host_buf config_buf{reinterpret_cast<const uint8_t*>(config_text.data()),
                              config_text.size()};
  CallOptions call_options = CallOptions::WithTimeout(options.init_timeout_ns);
  CallContext ctx(call_options);
  capstan_rc rc = CAPSTAN_RC_ERROR;
  bool threw = false;
  {
    std::lock_guard lock(library->object().lifecycle_mutex());
    try {
      rc = info.descriptor.on_init(instance->host_->table(), config_buf, ctx.raw(),
                                   &instance->state_);
    } catch (...) {
      threw = true;
    }
  }
  CallOutcome outcome = ctx.Finish(rc, threw);
  if (!outcome.ok()) {
    instance->host_->Shutdown();
    library->object().ReleaseInstance();
    outcome.source = "initializing " + instance->Describe();
    return outcome.ToStatus();
  }
  instance->host_->EndInit();
  instance->initialized_ = true;
  return instance;
}

PluginInstance::~PluginInstance() {
  if (!initialized_) return;
  host_->Shutdown();
  {
    std::lock_guard lock(library_->object().lifecycle_mutex());
    try {
      info().descriptor.on_destroy(state_);
    } catch (...) {
      host_->Log(CAPSTAN_LOG_ERROR, "on_destroy threw across the ABI", "");
    }
  }
  library_->object().ReleaseInstance();
}

CallOutcome PluginInstance::Health(const CallOptions& options) {
  auto on_health = info().descriptor.on_health;
  if (on_health == nullptr) return CallOutcome{};
  return Invoke("on_health", options,
                [&](capstan_plugin_state* s, capstan_call* c) { return on_health(s, c); });
}

CallOutcome PluginInstance::Finish(std::string_view what, CallContext& ctx, capstan_rc rc,
                                   bool threw) const {
  CallOutcome out = ctx.Finish(rc, threw);
  out.source = Describe() + " " + std::string(what);
  return out;
}

Result<nlohmann::json> PluginInstance::ParseJsonOutput(const capstan_plugin_buf& buf,
                                                       std::string_view what) const {
  std::string context = Describe() + " " + std::string(what);
  CAPSTAN_RETURN_IF_ERROR(CheckOutput(buf, context));
  const char* begin = reinterpret_cast<const char*>(buf.data);
  nlohmann::json doc = nlohmann::json::parse(begin, begin + buf.len, nullptr, false);
  if (doc.is_discarded()) {
    return InternalError(context + ": plugin returned malformed output: invalid JSON");
  }
  return doc;
}

std::string PluginInstance::Describe() const {
  return "plugin '" + info().name + "' instance '" + name_ + "'";
}

}  // namespace capstan::plugin
