#!/usr/bin/env python3
"""Runs clang-tidy (config: .clang-tidy) over the project's .cc files under core/, sdk/ and
plugins/ found in the build's compile_commands.json, two at a time, and fails on any diagnostic.
In a git checkout only tracked files are checked, so others' work in progress cannot break it.
Usage: tidy_check.py <source-dir> <build-dir> [--clang-tidy BIN] [-j N]
"""

import argparse
import concurrent.futures
import json
import os
import re
import subprocess
import sys

DIRS = ("core/", "sdk/", "plugins/")
DIAGNOSTIC = re.compile(r"^\S+:\d+:\d+: (?:warning|error): ", re.M)


def tracked_files(src):
    """Tracked paths relative to `src`, or None when `src` is not a git checkout."""
    proc = subprocess.run(["git", "-C", src, "ls-files", "-z", "--", *DIRS],
                          capture_output=True, text=True, check=False)
    return set(proc.stdout.split("\0")) if proc.returncode == 0 else None


def sources(src, build):
    with open(os.path.join(build, "compile_commands.json"), encoding="utf-8") as f:
        entries = json.load(f)
    tracked = tracked_files(src)
    files = set()
    for entry in entries:
        path = os.path.normpath(os.path.join(entry["directory"], entry["file"]))
        rel = os.path.relpath(path, src)
        if rel.endswith(".cc") and rel.startswith(DIRS) and (tracked is None or rel in tracked):
            files.add(path)
    return sorted(files)


def tidy(clang_tidy, build, path):
    # clang-tidy strips compiler launchers such as ccache from compile_commands.json itself.
    proc = subprocess.run([clang_tidy, "-p", build, "--quiet",
                           "--extra-arg=-Wno-unknown-warning-option", path],
                          capture_output=True, text=True, check=False)
    failed = proc.returncode != 0 or DIAGNOSTIC.search(proc.stdout)
    return path, bool(failed), proc.stdout + proc.stderr


def main(argv):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("src")
    parser.add_argument("build")
    parser.add_argument("--clang-tidy", default="clang-tidy")
    parser.add_argument("-j", type=int, default=2)
    args = parser.parse_args(argv)
    files = sources(os.path.realpath(args.src), args.build)
    if not files:
        print("tidy_check: no core/sdk/plugins .cc files in compile_commands.json")
        return 1
    failures = []
    with concurrent.futures.ThreadPoolExecutor(max_workers=args.j) as pool:
        for path, failed, output in pool.map(lambda p: tidy(args.clang_tidy, args.build, p),
                                             files):
            if failed:
                failures.append(os.path.relpath(path, args.src))
                # Drop clang-tidy's "N warnings generated." noise about suppressed headers.
                print("\n".join(line for line in output.splitlines()
                                if not line.endswith("generated.")))
    if failures:
        print(f"tidy_check: diagnostics in {len(failures)} of {len(files)} file(s): "
              + ", ".join(failures))
        return 1
    print(f"tidy_check: {len(files)} file(s) clean")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
