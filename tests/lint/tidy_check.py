#!/usr/bin/env python3
"""Runs clang-tidy (config: .clang-tidy) over the project's .cc files under core/, sdk/ and
plugins/ found in the build's compile_commands.json, two at a time, and fails on any diagnostic.
In a git checkout only tracked files are checked, so others' work in progress cannot break it.
A file found clean is remembered in a cache (default ~/.cache/capstan-tidy, or
$CAPSTAN_TIDY_CACHE; "off" disables it) under a key made of everything its result depends on:
clang-tidy's version, .clang-tidy, the compile command, and the file with every header it
includes (the project's by content, the system's by size and mtime), as Ninja recorded them
when it compiled the file. A file whose object is older than its source is always checked.
Usage: tidy_check.py <source-dir> <build-dir> [--clang-tidy BIN] [-j N]
"""

import argparse
import concurrent.futures
import hashlib
import json
import os
import re
import shlex
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
    """{absolute source path: its compile_commands.json entry} of the files to check."""
    with open(os.path.join(build, "compile_commands.json"), encoding="utf-8") as f:
        entries = json.load(f)
    tracked = tracked_files(src)
    files = {}
    for entry in entries:
        path = os.path.normpath(os.path.join(entry["directory"], entry["file"]))
        rel = os.path.relpath(path, src)
        if rel.endswith(".cc") and rel.startswith(DIRS) and (tracked is None or rel in tracked):
            files[path] = entry
    return dict(sorted(files.items()))


def object_of(entry):
    """The object file an entry compiles to (absolute), or None."""
    args = shlex.split(entry.get("command", "")) if "command" in entry else entry.get("arguments", [])
    for i, arg in enumerate(args[:-1]):
        if arg == "-o":
            return os.path.normpath(os.path.join(entry["directory"], args[i + 1]))
    return None


def ninja_deps(build):
    """{absolute object path: [dependency paths]} from Ninja's deps log; {} without one."""
    build = os.path.abspath(build)
    deps, current = {}, None
    try:
        proc = subprocess.run(["ninja", "-C", build, "-t", "deps"], capture_output=True,
                              text=True, check=False)
    except OSError:  # no ninja: no cache
        return deps
    if proc.returncode != 0:
        return deps
    for line in proc.stdout.splitlines():
        if not line:
            continue
        if not line[0].isspace():
            obj = line.split(": #deps", 1)[0]
            current = deps.setdefault(os.path.normpath(os.path.join(build, obj)), [])
            if "(VALID)" not in line:  # a stale record: the object is rebuilt or gone
                current = None
        elif current is not None:
            current.append(os.path.normpath(os.path.join(build, line.strip())))
    return deps


class Cache:
    """Clean results by key; keys hash the inputs of one clang-tidy run (see the module doc)."""

    def __init__(self, src, build, clang_tidy):
        where = os.environ.get("CAPSTAN_TIDY_CACHE",
                               os.path.join(os.path.expanduser("~"), ".cache", "capstan-tidy"))
        self.dir = None if where == "off" else where
        self.src = src
        self.deps = ninja_deps(build) if self.dir else {}
        self.digests = {}
        base = hashlib.sha256()
        if self.dir:
            version = subprocess.run([clang_tidy, "--version"], capture_output=True, text=True,
                                     check=False).stdout
            base.update(version.encode())
            with open(os.path.join(src, ".clang-tidy"), "rb") as f:
                base.update(f.read())
        self.base = base.digest()

    def _digest(self, path):
        if path not in self.digests:
            try:
                if path.startswith(self.src + os.sep):
                    with open(path, "rb") as f:
                        value = hashlib.sha256(f.read()).hexdigest()
                else:
                    st = os.stat(path)
                    value = f"{st.st_size}:{st.st_mtime_ns}"
            except OSError:
                value = "missing"
            self.digests[path] = value
        return self.digests[path]

    def key(self, path, entry):
        """The cache key of `path`, or None when its inputs are not known for sure."""
        if not self.dir:
            return None
        obj = object_of(entry)
        deps = self.deps.get(obj) if obj else None
        try:
            if not deps or os.stat(obj).st_mtime_ns < os.stat(path).st_mtime_ns:
                return None
        except OSError:
            return None
        h = hashlib.sha256(self.base)
        h.update(entry.get("command", json.dumps(entry.get("arguments"))).encode())
        for dep in [path] + deps:
            h.update(f"{dep}\0{self._digest(dep)}\0".encode())
        return h.hexdigest()

    def clean(self, key):
        return key is not None and os.path.exists(os.path.join(self.dir, key))

    def remember(self, key):
        if key is None:
            return
        os.makedirs(self.dir, exist_ok=True)
        with open(os.path.join(self.dir, key), "w", encoding="utf-8"):
            pass


def tidy(clang_tidy, build, path):
    # clang-tidy strips compiler launchers such as ccache from compile_commands.json itself.
    proc = subprocess.run([clang_tidy, "-p", build, "--quiet",
                           "--extra-arg=-Wno-unknown-warning-option",
                           # clang 22 flags libstdc++ 12's own use of get_temporary_buffer
                           "--extra-arg=-Wno-deprecated-declarations", path],
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
    src = os.path.realpath(args.src)
    files = sources(src, args.build)
    if not files:
        print("tidy_check: no core/sdk/plugins .cc files in compile_commands.json")
        return 1
    cache = Cache(src, args.build, args.clang_tidy)
    keys = {path: cache.key(path, entry) for path, entry in files.items()}
    todo = [path for path in files if not cache.clean(keys[path])]
    failures = []
    with concurrent.futures.ThreadPoolExecutor(max_workers=args.j) as pool:
        for path, failed, output in pool.map(lambda p: tidy(args.clang_tidy, args.build, p),
                                             todo):
            if failed:
                failures.append(os.path.relpath(path, args.src))
                # Drop clang-tidy's "N warnings generated." noise about suppressed headers.
                print("\n".join(line for line in output.splitlines()
                                if not line.endswith("generated.")))
            else:
                cache.remember(keys[path])
    cached = len(files) - len(todo)
    if failures:
        print(f"tidy_check: diagnostics in {len(failures)} of {len(files)} file(s): "
              + ", ".join(failures))
        return 1
    print(f"tidy_check: {len(files)} file(s) clean ({cached} known clean from the cache)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
