// Job and CronJob strategies (batch_strategy.h).
#include "core/registry/batch_strategy.h"

#include "core/registry/cron_schedule.h"
#include "core/registry/field_validation.h"
#include "core/registry/pod_defaults.h"
#include "core/registry/pod_strategy.h"
#include "core/registry/pod_validation.h"

namespace capstan::registry {
namespace {

constexpr const char* kControllerUid = "batch.kubernetes.io/controller-uid";
constexpr const char* kJobName = "batch.kubernetes.io/job-name";
constexpr const char* kLegacyControllerUid = "controller-uid";
constexpr const char* kLegacyJobName = "job-name";

const Json& SpecOf(const Json& obj) {
  static const Json kEmpty = Json::object();
  const Json* spec = ObjectIn(obj, "spec");
  return spec != nullptr ? *spec : kEmpty;
}

std::string MetaString(const Json& obj, const char* key) {
  const Json* meta = ObjectIn(obj, "metadata");
  return meta != nullptr ? Str(*meta, key) : "";
}

Json* TemplateLabelsMutable(Json& spec) {
  Json* tmpl = ObjectAt(spec, "template");
  Json* meta = tmpl != nullptr ? ObjectAt(*tmpl, "metadata") : nullptr;
  return meta != nullptr ? ObjectAt(*meta, "labels") : nullptr;
}

const Json* TemplateLabels(const Json& spec) {
  const Json* tmpl = ObjectIn(spec, "template");
  const Json* meta = tmpl != nullptr ? ObjectIn(*tmpl, "metadata") : nullptr;
  return meta != nullptr ? Find(*meta, "labels") : nullptr;
}

// Defaults every JobSpec gets as part of a Job (SetDefaults_Job) and its pod template.
Status DefaultJobSpec(Json& spec, bool job_defaults) {
  if (Json* tmpl = Find(spec, "template"); tmpl != nullptr && tmpl->is_object()) {
    if (const Json* pod = ObjectIn(*tmpl, "spec")) {
      if (std::string bad = FirstBadQuantity(*pod); !bad.empty()) return InvalidError(bad);
    }
    DefaultPodTemplate(*tmpl);
  }
  if (!job_defaults) return Status::Ok();
  if (!Has(spec, "completions") && !Has(spec, "parallelism")) {
    spec["completions"] = 1;
    spec["parallelism"] = 1;
  }
  SetDefault(spec, "parallelism", 1);
  SetDefault(spec, "backoffLimit", Has(spec, "backoffLimitPerIndex") ? 2147483647 : 6);
  SetDefault(spec, "completionMode", "NonIndexed");
  SetDefault(spec, "suspend", false);
  SetDefault(spec, "manualSelector", false);
  SetDefault(spec, "podReplacementPolicy",
             Has(spec, "podFailurePolicy") ? "Failed" : "TerminatingOrFailed");
  return Status::Ok();
}

void CopyTemplateLabelsIfUnlabelled(Json& obj) {
  const Json* labels = TemplateLabels(SpecOf(obj));
  if (labels == nullptr || !labels->is_object() || labels->empty()) return;
  Json* meta = ObjectAt(obj, "metadata");
  const Json* own = meta != nullptr ? Find(*meta, "labels") : nullptr;
  if (meta != nullptr && (own == nullptr || own->empty())) (*meta)["labels"] = *labels;
}

// Upstream generateSelector: job-name and controller-uid labels (both spellings) on the
// template, and a selector on the prefixed controller-uid label.
void GenerateSelector(Json& spec, const std::string& name, const std::string& uid) {
  if (Json* labels = TemplateLabelsMutable(spec)) {
    for (const char* key : {kLegacyJobName, kJobName}) SetDefault(*labels, key, name);
    for (const char* key : {kLegacyControllerUid, kControllerUid}) SetDefault(*labels, key, uid);
  }
  if (Json* sel = ObjectAt(spec, "selector")) {
    if (Json* match = ObjectAt(*sel, "matchLabels")) SetDefault(*match, kControllerUid, uid);
  }
}

void ValidateHasLabel(const Json* labels, const char* key, const std::string& want,
                      FieldErrors* errs) {
  std::string path = Key("spec.template.metadata.labels", key);
  const Json* v = labels != nullptr ? Find(*labels, key) : nullptr;
  if (v == nullptr) {
    errs->Required(path, "must be '" + want + "'");
  } else if (*v != want) {
    errs->Invalid(path, *labels, "must be '" + want + "'");
  }
}

// The checks of a JobSpec shared by Jobs and CronJob job templates (upstream validateJobSpec).
void ValidateJobSpecCommon(const Json& spec, const std::string& path, FieldErrors* errs) {
  for (const char* f : {"parallelism", "completions", "activeDeadlineSeconds", "backoffLimit",
                        "ttlSecondsAfterFinished"}) {
    ValidateOptionalNonnegative(spec, f, Child(path, f), errs);
  }
  if (const Json* mode = Find(spec, "completionMode")) {
    if (*mode != "NonIndexed" && *mode != "Indexed") {
      errs->NotSupported(Child(path, "completionMode"), *mode, {"NonIndexed", "Indexed"});
    }
    if (*mode == "Indexed" && !Has(spec, "completions")) {
      errs->Required(Child(path, "completions"), "when completion mode is Indexed");
    }
  }
  if (const Json* prp = Find(spec, "podReplacementPolicy")) {
    if (*prp != "Failed" && *prp != "TerminatingOrFailed") {
      errs->NotSupported(Child(path, "podReplacementPolicy"), *prp,
                         {"Failed", "TerminatingOrFailed"});
    }
  }
  const Json* tmpl = Find(spec, "template");
  ValidatePodTemplateSpec(tmpl != nullptr ? *tmpl : Json::object(), Child(path, "template"), errs);
  const Json* pod = tmpl != nullptr ? ObjectIn(*tmpl, "spec") : nullptr;
  std::string rp = pod != nullptr ? Str(*pod, "restartPolicy") : "";
  std::string rp_path = Child(path, "template.spec.restartPolicy");
  if (rp == "Always" || rp.empty()) {
    errs->Required(rp_path, "valid values: \"OnFailure\", \"Never\"");
  } else if (rp != "OnFailure" && rp != "Never") {
    errs->NotSupported(rp_path, rp, {"OnFailure", "Never"});
  }
}

void ValidateJob(const Json& obj, FieldErrors* errs) {
  const Json& spec = SpecOf(obj);
  const Json* labels = TemplateLabels(spec);
  if (!Bool(spec, "manualSelector")) {
    if (labels == nullptr) {
      errs->Required("spec.template.metadata.labels",
                     "must be present when `manualSelector` is not true");
    }
    std::string uid = MetaString(obj, "uid");
    std::string name = MetaString(obj, "name");
    ValidateHasLabel(labels, kLegacyControllerUid, uid, errs);
    ValidateHasLabel(labels, kLegacyJobName, name, errs);
    ValidateHasLabel(labels, kControllerUid, uid, errs);
    ValidateHasLabel(labels, kJobName, name, errs);
    const Json* sel = Find(spec, "selector");
    const Json* match = sel != nullptr ? ObjectIn(*sel, "matchLabels") : nullptr;
    const Json* exprs = sel != nullptr ? ArrayAt(*sel, "matchExpressions") : nullptr;
    bool generated = match != nullptr && (exprs == nullptr || exprs->empty()) &&
                     ((match->size() == 1 && Str(*match, kControllerUid) == uid) ||
                      (match->size() == 1 && Str(*match, kLegacyControllerUid) == uid) ||
                      (match->size() == 2 && Str(*match, kControllerUid) == uid &&
                       Str(*match, kLegacyControllerUid) == uid));
    if (sel != nullptr && !generated) {
      errs->InvalidRendered("spec.selector", GoLabelSelector(*sel),
                            "`selector` not auto-generated");
    }
  }
  const Json* sel = Find(spec, "selector");
  if (sel == nullptr) {
    errs->Required("spec.selector");
  } else {
    ValidateLabelSelector(*sel, "spec.selector", errs);
    if (!SelectorMatches(sel, labels)) {
      errs->Invalid("spec.template.metadata.labels", labels != nullptr ? *labels : Json(),
                    "`selector` does not match template `labels`");
    }
  }
  ValidateJobSpecCommon(spec, "spec", errs);
}

void DefaultCronJob(Json& spec) {
  SetDefaultString(spec, "concurrencyPolicy", "Allow");
  SetDefault(spec, "suspend", false);
  SetDefault(spec, "successfulJobsHistoryLimit", 3);
  SetDefault(spec, "failedJobsHistoryLimit", 1);
}

Status DefaultCronJobTemplate(Json& spec) {
  Json* jt = Find(spec, "jobTemplate");
  if (jt == nullptr || !jt->is_object()) return Status::Ok();
  if (Json* meta = ObjectAt(*jt, "metadata");
      meta != nullptr && !meta->contains("creationTimestamp")) {
    (*meta)["creationTimestamp"] = nullptr;
  }
  Json* job_spec = ObjectAt(*jt, "spec");
  return job_spec != nullptr ? DefaultJobSpec(*job_spec, false) : Status::Ok();
}

void ValidateCronJob(const Json& obj, FieldErrors* errs) {
  std::string name = MetaString(obj, "name");
  if (name.size() > 52) errs->Invalid("metadata.name", name, "must be no more than 52 characters");
  const Json& spec = SpecOf(obj);
  std::string schedule = Str(spec, "schedule");
  if (schedule.empty()) {
    errs->Required("spec.schedule");
  } else {
    if (std::string e = CheckCronSchedule(schedule); !e.empty()) {
      errs->Invalid("spec.schedule", schedule, e);
    }
    if (schedule.find("TZ") != std::string::npos) {
      errs->Invalid("spec.schedule", schedule,
                    "cannot use TZ or CRON_TZ in schedule, use timeZone field instead");
    }
  }
  ValidateOptionalNonnegative(spec, "startingDeadlineSeconds", "spec.startingDeadlineSeconds",
                              errs);
  std::string policy = Str(spec, "concurrencyPolicy");
  if (policy.empty()) {
    errs->Required("spec.concurrencyPolicy");
  } else if (policy != "Allow" && policy != "Forbid" && policy != "Replace") {
    errs->NotSupported("spec.concurrencyPolicy", policy, {"Allow", "Forbid", "Replace"});
  }
  const Json* jt = ObjectIn(spec, "jobTemplate");
  const Json* job_spec = jt != nullptr ? ObjectIn(*jt, "spec") : nullptr;
  if (job_spec == nullptr) {
    errs->Required("spec.jobTemplate.spec");
  } else {
    ValidateJobSpecCommon(*job_spec, "spec.jobTemplate.spec", errs);
    if (const Json* sel = Find(*job_spec, "selector")) {
      errs->InvalidRendered("spec.jobTemplate.spec.selector", GoLabelSelector(*sel),
                            "`selector` will be auto-generated");
    }
    if (Bool(*job_spec, "manualSelector")) {
      errs->NotSupported("spec.jobTemplate.spec.manualSelector", true, {"nil", "false"});
    }
  }
  ValidateOptionalNonnegative(spec, "successfulJobsHistoryLimit", "spec.successfulJobsHistoryLimit",
                              errs);
  ValidateOptionalNonnegative(spec, "failedJobsHistoryLimit", "spec.failedJobsHistoryLimit", errs);
}

}  // namespace

Status JobStrategy::Create(Json& obj) {
  Json* spec = ObjectAt(obj, "spec");
  if (spec == nullptr) return DecodeError("spec must be an object");
  if (Status s = DefaultJobSpec(*spec, true); !s.ok()) return DecodeError(s.message());
  CopyTemplateLabelsIfUnlabelled(obj);
  if (!Bool(*spec, "manualSelector")) {
    GenerateSelector(*spec, MetaString(obj, "name"), MetaString(obj, "uid"));
  }
  CopyTemplateLabelsIfUnlabelled(obj);
  obj["status"] = Json::object();
  return Status::Ok();
}

Status JobStrategy::Update(Json& obj, const Json& /*old*/) {
  Json* spec = ObjectAt(obj, "spec");
  if (spec == nullptr) return DecodeError("spec must be an object");
  if (Status s = DefaultJobSpec(*spec, true); !s.ok()) return DecodeError(s.message());
  CopyTemplateLabelsIfUnlabelled(obj);
  return Status::Ok();
}

void JobStrategy::Check(const Json& obj, FieldErrors* errs) { ValidateJob(obj, errs); }

void JobStrategy::CheckUpdate(const Json& obj, const Json& old, FieldErrors* errs) {
  ValidateJob(obj, errs);
  const Json& spec = SpecOf(obj);
  const Json& before = SpecOf(old);
  auto field = [](const Json& s, const char* key) {
    const Json* v = Find(s, key);
    return v != nullptr ? Normalized(*v) : Json();
  };
  if (field(spec, "selector") != field(before, "selector")) {
    const Json* sel = Find(spec, "selector");
    errs->InvalidRendered("spec.selector", GoLabelSelector(sel != nullptr ? *sel : Json()),
                          "field is immutable");
  }
  // The template may change only while the Job is suspended and has never started.
  const Json* status = ObjectIn(old, "status");
  bool mutable_template =
      Bool(before, "suspend") && (status == nullptr || !Has(*status, "startTime"));
  if (!mutable_template && field(spec, "template") != field(before, "template")) {
    errs->Invalid("spec.template", field(spec, "template"), "field is immutable");
  }
  if (field(spec, "completionMode") != field(before, "completionMode")) {
    errs->Invalid("spec.completionMode", field(spec, "completionMode"), "field is immutable");
  }
  if (Str(spec, "completionMode") != "Indexed" &&
      field(spec, "completions") != field(before, "completions")) {
    errs->Invalid("spec.completions", field(spec, "completions"), "field is immutable");
  }
}

Status CronJobStrategy::Create(Json& obj) {
  Json* spec = ObjectAt(obj, "spec");
  if (spec == nullptr) return DecodeError("spec must be an object");
  DefaultCronJob(*spec);
  if (Status s = DefaultCronJobTemplate(*spec); !s.ok()) return DecodeError(s.message());
  obj["status"] = Json::object();
  return Status::Ok();
}

Status CronJobStrategy::Update(Json& obj, const Json& /*old*/) {
  Json* spec = ObjectAt(obj, "spec");
  if (spec == nullptr) return DecodeError("spec must be an object");
  DefaultCronJob(*spec);
  if (Status s = DefaultCronJobTemplate(*spec); !s.ok()) return DecodeError(s.message());
  return Status::Ok();
}

void CronJobStrategy::Check(const Json& obj, FieldErrors* errs) { ValidateCronJob(obj, errs); }

void CronJobStrategy::CheckUpdate(const Json& obj, const Json& /*old*/, FieldErrors* errs) {
  ValidateCronJob(obj, errs);
}

}  // namespace capstan::registry
