// Text renderings for the plugin commands (plugin_text.h).
#include "core/cmd/plugin_text.h"

#include <sstream>

namespace capstan::cmd {
namespace {

using json = nlohmann::json;

std::string Str(const json& v) { return v.is_string() ? v.get<std::string>() : v.dump(); }

std::string Indent(const std::string& text, const std::string& prefix) {
  std::string out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) out += prefix + line + "\n";
  return out;
}

void Field(std::ostringstream& out, const char* label, const std::string& value) {
  out << label;
  for (size_t n = std::char_traits<char>::length(label); n < 15; ++n) out << ' ';
  out << value << "\n";
}

}  // namespace

std::string RenderLibraryText(const json& d) {
  std::ostringstream out;
  Field(out, "Name:", Str(d["name"]));
  Field(out, "Version:", Str(d["version"]));
  Field(out, "Description:",
        d["description"].get<std::string>().empty() ? "(none)" : Str(d["description"]));
  Field(out, "File:", Str(d["path"]));
  Field(out, "ABI:", Str(d["abi"]));
  std::string caps;
  for (const json& c : d["capabilities"]) caps += (caps.empty() ? "" : ", ") + Str(c);
  Field(out, "Capabilities:", caps.empty() ? "none (calls are serialized, one instance)" : caps);
  Field(out, "on_health:", d["lifecycle"]["on_health"] == true ? "implemented" : "not implemented");
  out << "Kinds:\n";
  for (const json& k : d["kinds"]) {
    out << "  " << Str(k["kind"]) << " (interface " << Str(k["interface"]) << ", vtable "
        << k["vtableSize"].get<uint64_t>() << " bytes)\n";
    for (const json& e : k["entries"]) {
      std::string name = Str(e["name"]);
      out << "    " << name;
      for (size_t n = name.size(); n < 34; ++n) out << ' ';
      if (e["implemented"] == true) {
        out << "implemented";
      } else {
        out << (e["withinStructSize"] == true ? "-" : "- (beyond the plugin's vtable)");
      }
      if (e["required"] == true) out << " (required)";
      out << "\n";
    }
  }
  if (d["configSchema"].is_null()) {
    out << "Config schema:  none (any JSON object)\n";
  } else {
    out << "Config schema:\n" << Indent(d["configSchema"].dump(2), "  ");
  }
  return out.str();
}

std::string RenderChainsText(const json& d) {
  std::ostringstream out;
  out << "Plugin configuration: " << Str(d["source"]) << "\n";
  size_t total = 0, failed = 0;
  if (d["chains"].empty()) out << "\n(no chains configured)\n";
  for (const json& chain : d["chains"]) {
    out << "\n" << Str(chain["kind"]);
    if (!chain["budget"].is_null()) out << " (budget " << Str(chain["budget"]) << ")";
    out << "\n";
    if (chain["entries"].empty()) out << "  (empty)\n";
    for (const json& e : chain["entries"]) {
      ++total;
      out << "  " << e["order"].get<uint64_t>() << ". " << Str(e["name"]) << "\n";
      std::string library =
          e["path"].is_null() ? Str(e["library"]) : Str(e["path"]) + " (" + Str(e["library"]) + ")";
      out << "       library:  " << library << "\n";
      if (!e["plugin"].is_null()) {
        out << "       plugin:   " << Str(e["plugin"]) << " " << Str(e["version"]) << "\n";
      }
      out << "       policy:   " << Str(e["failurePolicy"]) << ", timeout " << Str(e["timeout"]);
      if (!e["weight"].is_null()) out << ", weight " << e["weight"].dump();
      out << "\n";
      bool ok = e["status"] == "ok";
      failed += ok ? 0 : 1;
      out << "       loads:    " << (ok ? "ok" : "error: " + Str(e["status"])) << "\n";
    }
  }
  out << "\n" << total << " entr" << (total == 1 ? "y" : "ies") << ", " << failed << " failed\n";
  return out.str();
}

}  // namespace capstan::cmd
