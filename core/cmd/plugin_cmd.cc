// `capstan plugin inspect FILE.so` and `capstan plugin chains --config F`: flags and wiring over
// core/plugin (library.h, registry.h, describe.h); text rendering in plugin_text.cc.
#include <cstdio>
#include <string>

#include "core/cmd/plugin_text.h"
#include "core/cmd/subcommands.h"
#include "core/common/flags.h"
#include "core/plugin/describe.h"
#include "core/plugin/library.h"
#include "core/plugin/registry.h"

namespace capstan::cmd {
namespace {

constexpr const char* kPluginUsage =
    "usage: capstan plugin <command> [flags]\n\n"
    "commands:\n"
    "  inspect FILE.so        print a plugin library's descriptor\n"
    "  chains --config FILE   load the plugin configuration and print the effective chains\n";

// The flags library takes only `--name`; accept the conventional `-o` for --output too.
Args ExpandShortFlags(const Args& args) {
  Args out;
  for (const std::string& a : args) {
    if (a == "-o") {
      out.push_back("--output");
    } else if (a.rfind("-o=", 0) == 0) {
      out.push_back("--output=" + a.substr(3));
    } else if (a.size() > 2 && a.rfind("-o", 0) == 0 && a[2] != '-') {
      out.push_back("--output=" + a.substr(2));
    } else {
      out.push_back(a);
    }
  }
  return out;
}

// Parses `args`; returns -1 to continue, or the exit code to return (help or usage error).
int ParseFlags(flags::FlagSet& fs, const Args& args, const char* positional_help,
               const std::string& output) {
  Status s = fs.Parse(ExpandShortFlags(args));
  if (!s.ok()) {
    std::fprintf(stderr, "%s\n\n%s", s.message().c_str(), fs.Usage(positional_help).c_str());
    return kExitUsage;
  }
  if (fs.help_requested()) {
    std::printf("%s", fs.Usage(positional_help).c_str());
    return kExitOk;
  }
  if (output != "text" && output != "json") {
    std::fprintf(stderr, "flag --output: want text or json, got \"%s\"\n", output.c_str());
    return kExitUsage;
  }
  return -1;
}

void Print(const nlohmann::json& doc, const std::string& output,
           std::string (*render)(const nlohmann::json&)) {
  if (output == "json") {
    std::printf("%s\n", doc.dump(2, ' ', false, nlohmann::json::error_handler_t::replace).c_str());
  } else {
    std::printf("%s", render(doc).c_str());
  }
}

int Inspect(const Args& args) {
  std::string output = "text";
  flags::FlagSet fs("capstan plugin inspect");
  fs.String("output", &output, "output format: text or json (also -o)");
  if (int rc = ParseFlags(fs, args, "FILE.so", output); rc >= 0) return rc;
  if (fs.positional().size() != 1) {
    std::fprintf(stderr, "capstan plugin inspect: want exactly one FILE.so\n\n%s",
                 fs.Usage("FILE.so").c_str());
    return kExitUsage;
  }
  auto library = plugin::LoadLibrary(fs.positional()[0]);
  if (!library.ok()) {
    std::fprintf(stderr, "capstan plugin inspect: %s\n", library.status().message().c_str());
    return kExitFailure;
  }
  Print(plugin::DescribeLibrary(**library), output, &RenderLibraryText);
  return kExitOk;
}

int Chains(const Args& args) {
  std::string output = "text";
  std::string config_path;
  bool init = true;
  flags::FlagSet fs("capstan plugin chains");
  fs.String("config", &config_path, "plugin configuration file (YAML, kind PluginConfiguration)");
  fs.String("output", &output, "output format: text or json (also -o)");
  fs.Bool("init", &init,
          "initialise each instance (on_init, then on_destroy at exit); --no-init only loads, "
          "checks kinds and validates configs");
  if (int rc = ParseFlags(fs, args, "", output); rc >= 0) return rc;
  if (config_path.empty() || !fs.positional().empty()) {
    std::fprintf(stderr, "capstan plugin chains: --config FILE is required\n\n%s",
                 fs.Usage().c_str());
    return kExitUsage;
  }
  auto config = plugin::LoadPluginConfiguration(config_path);
  if (!config.ok()) {
    std::fprintf(stderr, "capstan plugin chains: %s\n", config.status().message().c_str());
    return kExitFailure;
  }
  plugin::RegistryOptions options;
  options.init = init;
  auto registry = plugin::Registry::Load(*config, options);
  Print(plugin::DescribeChains(*registry, config_path), output, &RenderChainsText);
  if (!registry->status().ok()) {
    std::fprintf(stderr, "capstan plugin chains: %s\n", registry->status().message().c_str());
    return kExitFailure;
  }
  return kExitOk;
}

}  // namespace

int RunPlugin(const Args& args) {
  if (args.empty()) {
    std::fprintf(stderr, "%s", kPluginUsage);
    return kExitUsage;
  }
  const std::string& command = args[0];
  Args rest(args.begin() + 1, args.end());
  if (command == "inspect") return Inspect(rest);
  if (command == "chains") return Chains(rest);
  if (command == "--help" || command == "-h" || command == "help") {
    std::printf("%s", kPluginUsage);
    return kExitOk;
  }
  std::fprintf(stderr, "capstan plugin: unknown command '%s'\n\n%s", command.c_str(), kPluginUsage);
  return kExitUsage;
}

}  // namespace capstan::cmd
