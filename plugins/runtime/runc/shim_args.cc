// Runtime plugin `runc`: the shim's command line (see shim_args.h).
#include "shim_args.h"

#include <array>
#include <charconv>
#include <cstddef>
#include <system_error>

namespace capstan::plugins::runc_runtime {
namespace {

// ShimFds' members in the order `--fds` lists them.
constexpr std::array<int ShimFds::*, 11> kFdOrder = {
    &ShimFds::out_r,      &ShimFds::out_w,         &ShimFds::err_r,       &ShimFds::err_w,
    &ShimFds::ready_w,    &ShimFds::devnull,       &ShimFds::log_fd,      &ShimFds::stdin_r,
    &ShimFds::console_fd, &ShimFds::attach_listen, &ShimFds::attach_stdin};
static_assert(sizeof(ShimFds) == kFdOrder.size() * sizeof(int), "every ShimFds member is listed");

bool ParseFds(const std::string& text, ShimFds* fds) {
  const char* p = text.data();
  const char* end = p + text.size();
  for (size_t i = 0; i < kFdOrder.size(); ++i) {
    if (i > 0) {
      if (p == end || *p != ',') return false;
      ++p;
    }
    int v = 0;
    auto [next, ec] = std::from_chars(p, end, v);
    if (ec != std::errc() || v < -1) return false;
    fds->*kFdOrder[i] = v;
    p = next;
  }
  return p == end;
}

}  // namespace

std::array<int, 11> ShimFdList(const ShimFds& fds) {
  std::array<int, 11> out{};
  for (size_t i = 0; i < kFdOrder.size(); ++i) out[i] = fds.*kFdOrder[i];
  return out;
}

std::vector<std::string> EncodeShimArgs(const ShimArgs& args) {
  std::string fds;
  for (int fd : ShimFdList(args.fds)) {
    if (!fds.empty()) fds += ',';
    fds += std::to_string(fd);
  }
  std::vector<std::string> out = {"--log",  args.log_path,  "--pid-file", args.pid_file,
                                  "--exit", args.exit_file, "--fds",      fds};
  if (!args.attach_path.empty()) out.insert(out.end(), {"--attach", args.attach_path});
  if (!args.console_path.empty()) out.insert(out.end(), {"--console", args.console_path});
  if (args.stdin_once) out.emplace_back("--stdin-once");
  out.emplace_back("--");
  out.insert(out.end(), args.runc_argv.begin(), args.runc_argv.end());
  return out;
}

bool DecodeShimArgs(const std::vector<std::string>& argv, ShimArgs* out, std::string* error) {
  *out = ShimArgs{};
  bool have_fds = false;
  size_t i = 0;
  for (; i < argv.size() && argv[i] != "--"; ++i) {
    const std::string& flag = argv[i];
    if (flag == "--stdin-once") {
      out->stdin_once = true;
      continue;
    }
    std::string* path = flag == "--log"        ? &out->log_path
                        : flag == "--pid-file" ? &out->pid_file
                        : flag == "--exit"     ? &out->exit_file
                        : flag == "--attach"   ? &out->attach_path
                        : flag == "--console"  ? &out->console_path
                                               : nullptr;
    if (path == nullptr && flag != "--fds") {
      *error = "unknown flag " + flag;
      return false;
    }
    if (i + 1 >= argv.size()) {
      *error = flag + " needs a value";
      return false;
    }
    const std::string& value = argv[++i];
    if (path == nullptr) {
      if (have_fds || !ParseFds(value, &out->fds)) {
        *error = "--fds wants " + std::to_string(kFdOrder.size()) +
                 " comma-separated descriptors, once: " + value;
        return false;
      }
      have_fds = true;
    } else if (!path->empty() || value.empty() || value[0] != '/') {
      *error = flag + " wants one absolute path: " + value;
      return false;
    } else {
      *path = value;
    }
  }
  if (out->log_path.empty() || out->pid_file.empty() || out->exit_file.empty() || !have_fds) {
    *error = "--log, --pid-file, --exit and --fds are required";
    return false;
  }
  if (i + 1 >= argv.size() || argv[i + 1].empty() || argv[i + 1][0] != '/') {
    *error = "runc's argv (an absolute path first) follows --";
    return false;
  }
  out->runc_argv.assign(argv.begin() + static_cast<std::ptrdiff_t>(i) + 1, argv.end());
  return true;
}

}  // namespace capstan::plugins::runc_runtime
