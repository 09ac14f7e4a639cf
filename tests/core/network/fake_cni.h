// Stand-in CNI plugin binaries for tests (no root needed): a Python script per name that
// answers VERSION with the given versions, logs every invocation (command, CNI_* environment,
// stdin config) as one JSON line, and on ADD prints its config's `result`, or else echoes
// `prevResult` adding its `addDns` nameserver. Config keys `failOn` {command: {code,msg,details}}
// and `hangOn` (command) script failures and hangs. Used by cni-exec's and the chain's tests.
#pragma once

#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <string>
#include <vector>

#include "capstan/sdk/json.h"

namespace capstan::cni::testing {

inline constexpr char kFakeCniScript[] = R"PY(
import json, os, sys, time
cmd = os.environ.get("CNI_COMMAND", "")
raw = sys.stdin.read()
if cmd == "VERSION":
    print(json.dumps({"cniVersion": "1.0.0", "supportedVersions": VERSIONS}))
    sys.exit(0)
conf = json.loads(raw)
env = {k: v for k, v in os.environ.items() if k.startswith("CNI_")}
with open(LOG, "a") as f:
    f.write(json.dumps({"cmd": cmd, "type": NAME, "env": env, "conf": conf}) + "\n")
fail = conf.get("failOn", {}).get(cmd)
if fail:
    print(json.dumps(dict(fail, cniVersion=conf.get("cniVersion"))))
    sys.stderr.write("failing on purpose\n")
    sys.exit(1)
if conf.get("hangOn") == cmd:
    time.sleep(60)
if conf.get("garbageOn") == cmd:
    sys.stderr.write("panic: something broke\n")
    sys.exit(2)
if cmd == "ADD":
    if "result" in conf:
        res = conf["result"]
    else:
        res = conf.get("prevResult", {})
        if "addDns" in conf:
            res.setdefault("dns", {}).setdefault("nameservers", []).append(conf["addDns"])
    res["cniVersion"] = conf.get("cniVersion")
    print(json.dumps(res))
)PY";

// Writes executable `dir/name` speaking `versions`, logging to `log`.
inline void WriteFakeCni(const std::string& dir, const std::string& name,
                         const std::vector<std::string>& versions, const std::string& log) {
  std::string path = dir + "/" + name;
  std::ofstream out(path);
  out << "#!/usr/bin/python3\n"
      << "NAME = " << sdk::json::Dump(name) << "\nLOG = " << sdk::json::Dump(log)
      << "\nVERSIONS = " << sdk::json::Dump(sdk::json::Json(versions)) << "\n"
      << kFakeCniScript;
  out.close();
  chmod(path.c_str(), 0755);
}

// The logged invocations, oldest first.
inline std::vector<sdk::json::Json> ReadFakeCniLog(const std::string& log) {
  std::vector<sdk::json::Json> out;
  std::ifstream in(log);
  std::string line;
  while (std::getline(in, line)) {
    if (auto j = sdk::json::Parse(line)) out.push_back(*j);
  }
  return out;
}

}  // namespace capstan::cni::testing
