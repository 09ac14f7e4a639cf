// Shared controller helpers: JSON reads, times, selectors, owner references, pod state
// (see object_util.h).
#include "plugins/controllers/kit/object_util.h"

#include <time.h>

#include <algorithm>
#include <cstdio>

namespace capstan::controllers {

int64_t SystemNow() { return static_cast<int64_t>(::time(nullptr)); }

std::optional<int64_t> ParseTime(std::string_view text) {
  if (text.size() < 20 || text.size() > 64) return std::nullopt;
  std::string s(text);
  int y = 0, mo = 0, d = 0, h = 0, mi = 0, sec = 0, used = 0;
  if (std::sscanf(s.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d%n", &y, &mo, &d, &h, &mi, &sec, &used) != 6 ||
      used != 19) {
    return std::nullopt;
  }
  size_t pos = 19;
  if (pos < s.size() && s[pos] == '.') {
    ++pos;
    while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') ++pos;
  }
  int64_t offset = 0;
  if (pos < s.size() && (s[pos] == 'Z' || s[pos] == 'z')) {
    ++pos;
  } else if (pos + 6 == s.size() && (s[pos] == '+' || s[pos] == '-') && s[pos + 3] == ':') {
    int oh = 0, om = 0;
    if (std::sscanf(s.c_str() + pos + 1, "%2d:%2d", &oh, &om) != 2) return std::nullopt;
    offset = (s[pos] == '-' ? -1 : 1) * (oh * 3600 + om * 60);
    pos += 6;
  }
  if (pos != s.size()) return std::nullopt;
  struct tm tm_value = {};
  tm_value.tm_year = y - 1900;
  tm_value.tm_mon = mo - 1;
  tm_value.tm_mday = d;
  tm_value.tm_hour = h;
  tm_value.tm_min = mi;
  tm_value.tm_sec = sec;
  return static_cast<int64_t>(timegm(&tm_value)) - offset;
}

std::string FormatTime(int64_t unix_seconds) {
  time_t t = static_cast<time_t>(unix_seconds);
  struct tm tm_value = {};
  gmtime_r(&t, &tm_value);
  char buf[32];
  std::strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm_value);
  return buf;
}

std::string GetStr(const Json& j, std::initializer_list<std::string_view> path,
                   std::string fallback) {
  const Json* v = sdk::json::FindPath(j, path);
  if (v == nullptr || !v->is_string()) return fallback;
  return v->get_ref<const std::string&>();
}

int64_t GetNum(const Json& j, std::initializer_list<std::string_view> path, int64_t fallback) {
  const Json* v = sdk::json::FindPath(j, path);
  if (v == nullptr || !v->is_number_integer()) return fallback;
  return v->get<int64_t>();
}

bool Has(const Json& j, std::initializer_list<std::string_view> path) {
  const Json* v = sdk::json::FindPath(j, path);
  return v != nullptr && !v->is_null();
}

std::string KeyOf(const Json& o) {
  std::string ns = Namespace(o);
  return ns.empty() ? Name(o) : ns + "/" + Name(o);
}

void SplitKey(std::string_view key, std::string* ns, std::string* name) {
  size_t slash = key.find('/');
  if (slash == std::string_view::npos) {
    ns->clear();
    name->assign(key);
    return;
  }
  ns->assign(key.substr(0, slash));
  name->assign(key.substr(slash + 1));
}

const Json* ControllerRef(const Json& o) {
  const Json* refs = sdk::json::FindPath(o, {"metadata", "ownerReferences"});
  if (refs == nullptr || !refs->is_array()) return nullptr;
  for (const Json& ref : *refs) {
    if (sdk::json::GetBool(ref, "controller").value_or(false)) return &ref;
  }
  return nullptr;
}

Json NewControllerRef(const Json& owner, std::string_view api_version, std::string_view kind) {
  return Json{{"apiVersion", api_version}, {"kind", kind},       {"name", Name(owner)},
              {"uid", Uid(owner)},         {"controller", true}, {"blockOwnerDeletion", true}};
}

std::optional<Selector> Selector::FromLabelSelector(const Json& selector) {
  if (!selector.is_object()) return std::nullopt;
  Selector s;
  s.nothing_ = false;
  if (const Json* labels = sdk::json::Find(selector, "matchLabels");
      labels != nullptr && !labels->is_null()) {
    if (!labels->is_object()) return std::nullopt;
    for (const auto& [k, v] : labels->items()) {
      if (!v.is_string()) return std::nullopt;
      s.reqs_.push_back({k, Op::kIn, {v.get<std::string>()}});
    }
  }
  if (const Json* exprs = sdk::json::Find(selector, "matchExpressions");
      exprs != nullptr && !exprs->is_null()) {
    if (!exprs->is_array()) return std::nullopt;
    for (const Json& e : *exprs) {
      std::optional<std::string> key = sdk::json::GetString(e, "key");
      std::optional<std::string> op = sdk::json::GetString(e, "operator");
      if (!key || !op) return std::nullopt;
      Req r{*key, Op::kIn, {}};
      if (const Json* values = sdk::json::GetArray(e, "values")) {
        for (const Json& v : *values) {
          if (!v.is_string()) return std::nullopt;
          r.values.push_back(v.get<std::string>());
        }
      }
      if (*op == "In") {
        r.op = Op::kIn;
      } else if (*op == "NotIn") {
        r.op = Op::kNotIn;
      } else if (*op == "Exists") {
        r.op = Op::kExists;
      } else if (*op == "DoesNotExist") {
        r.op = Op::kDoesNotExist;
      } else {
        return std::nullopt;
      }
      bool wants_values = r.op == Op::kIn || r.op == Op::kNotIn;
      if (wants_values == r.values.empty()) return std::nullopt;
      s.reqs_.push_back(std::move(r));
    }
  }
  return s;
}

Selector Selector::FromMap(const Json& map) {
  Selector s;
  s.nothing_ = false;
  if (!map.is_object()) return s;
  for (const auto& [k, v] : map.items()) {
    if (v.is_string()) s.reqs_.push_back({k, Op::kIn, {v.get<std::string>()}});
  }
  return s;
}

bool Selector::Matches(const Json* labels) const {
  if (nothing_) return false;
  for (const Req& r : reqs_) {
    const Json* v = labels != nullptr ? sdk::json::Find(*labels, r.key) : nullptr;
    bool present = v != nullptr && v->is_string();
    bool in = present && std::find(r.values.begin(), r.values.end(),
                                   v->get_ref<const std::string&>()) != r.values.end();
    switch (r.op) {
      case Op::kIn:
        if (!in) return false;
        break;
      case Op::kNotIn:
        if (in) return false;
        break;
      case Op::kExists:
        if (!present) return false;
        break;
      case Op::kDoesNotExist:
        if (present) return false;
        break;
    }
  }
  return true;
}

bool IsPodActive(const Json& pod) {
  std::string phase = GetStr(pod, {"status", "phase"});
  return phase != "Succeeded" && phase != "Failed" && !Deleting(pod);
}

namespace {
const Json* ReadyCondition(const Json& pod) {
  const Json* conds = sdk::json::FindPath(pod, {"status", "conditions"});
  if (conds == nullptr || !conds->is_array()) return nullptr;
  for (const Json& c : *conds) {
    if (sdk::json::GetString(c, "type") == "Ready") return &c;
  }
  return nullptr;
}
}  // namespace

bool IsPodReady(const Json& pod) {
  const Json* c = ReadyCondition(pod);
  return c != nullptr && sdk::json::GetString(*c, "status") == "True";
}

std::optional<int64_t> PodReadySince(const Json& pod) {
  const Json* c = ReadyCondition(pod);
  if (c == nullptr || sdk::json::GetString(*c, "status") != "True") return std::nullopt;
  return ParseTime(GetStr(*c, {"lastTransitionTime"}));
}

bool IsPodAvailable(const Json& pod, int64_t min_ready_seconds, int64_t now) {
  if (!IsPodReady(pod)) return false;
  if (min_ready_seconds <= 0) return true;
  std::optional<int64_t> since = PodReadySince(pod);
  return since.has_value() && *since + min_ready_seconds < now;
}

int FindCondition(const Json& conditions, std::string_view type) {
  if (!conditions.is_array()) return -1;
  for (size_t i = 0; i < conditions.size(); ++i) {
    if (sdk::json::GetString(conditions[i], "type") == type) return static_cast<int>(i);
  }
  return -1;
}

}  // namespace capstan::controllers
