#!/usr/bin/env python3
"""Generates core/protobuf/schema_data.cc, the protobuf schema table the request decoder uses.

Reads upstream `generated.proto` files (field numbers and wire types) and the Go `types.go`
files beside them (JSON names, pointer-ness, inlining) from git mirrors of kubernetes/api and
kubernetes/apimachinery, walks the messages reachable from the kinds in ROOTS and prints one
line per message in the compact format documented in core/protobuf/schema.h.

Usage:
  generate_schema.py --api-git-dir DIR --apimachinery-git-dir DIR [--api-ref REF]
                     [--apimachinery-ref REF] > core/protobuf/schema_data.cc
"""

import argparse
import collections
import re
import subprocess
import sys

# (apiVersion, kind, proto package below k8s.io.api). Kinds kubectl's typed clients create
# (`kubectl create <generator>`, `auth`, `create token`, `certificate approve`), plus their
# close relatives so that a client sending them in protobuf is understood too.
ROOTS = [
    ("v1", "Namespace", "core.v1"),
    ("v1", "ConfigMap", "core.v1"),
    ("v1", "Secret", "core.v1"),
    ("v1", "ServiceAccount", "core.v1"),
    ("v1", "Service", "core.v1"),
    ("v1", "ResourceQuota", "core.v1"),
    ("v1", "Pod", "core.v1"),
    ("v1", "PodTemplate", "core.v1"),
    ("v1", "ReplicationController", "core.v1"),
    ("v1", "PersistentVolumeClaim", "core.v1"),
    ("v1", "PersistentVolume", "core.v1"),
    ("v1", "Endpoints", "core.v1"),
    ("v1", "LimitRange", "core.v1"),
    ("v1", "Node", "core.v1"),
    ("v1", "Binding", "core.v1"),
    ("apps/v1", "Deployment", "apps.v1"),
    ("apps/v1", "ReplicaSet", "apps.v1"),
    ("apps/v1", "StatefulSet", "apps.v1"),
    ("apps/v1", "DaemonSet", "apps.v1"),
    ("batch/v1", "Job", "batch.v1"),
    ("batch/v1", "CronJob", "batch.v1"),
    ("autoscaling/v1", "HorizontalPodAutoscaler", "autoscaling.v1"),
    ("autoscaling/v1", "Scale", "autoscaling.v1"),
    ("autoscaling/v2", "HorizontalPodAutoscaler", "autoscaling.v2"),
    ("scheduling.k8s.io/v1", "PriorityClass", "scheduling.v1"),
    ("rbac.authorization.k8s.io/v1", "Role", "rbac.v1"),
    ("rbac.authorization.k8s.io/v1", "RoleBinding", "rbac.v1"),
    ("rbac.authorization.k8s.io/v1", "ClusterRole", "rbac.v1"),
    ("rbac.authorization.k8s.io/v1", "ClusterRoleBinding", "rbac.v1"),
    ("policy/v1", "PodDisruptionBudget", "policy.v1"),
    ("policy/v1", "Eviction", "policy.v1"),
    ("networking.k8s.io/v1", "Ingress", "networking.v1"),
    ("networking.k8s.io/v1", "IngressClass", "networking.v1"),
    ("networking.k8s.io/v1", "NetworkPolicy", "networking.v1"),
    ("coordination.k8s.io/v1", "Lease", "coordination.v1"),
    ("certificates.k8s.io/v1", "CertificateSigningRequest", "certificates.v1"),
    ("authorization.k8s.io/v1", "SelfSubjectAccessReview", "authorization.v1"),
    ("authorization.k8s.io/v1", "SelfSubjectRulesReview", "authorization.v1"),
    ("authorization.k8s.io/v1", "SubjectAccessReview", "authorization.v1"),
    ("authorization.k8s.io/v1", "LocalSubjectAccessReview", "authorization.v1"),
    ("authentication.k8s.io/v1", "SelfSubjectReview", "authentication.v1"),
    ("authentication.k8s.io/v1", "TokenRequest", "authentication.v1"),
    ("authentication.k8s.io/v1", "TokenReview", "authentication.v1"),
]

# Messages whose JSON form is not an object; the decoder handles each kind by hand.
SPECIAL = {
    "meta.v1.Time": "time",
    "meta.v1.MicroTime": "microtime",
    "meta.v1.Duration": "duration",
    "meta.v1.FieldsV1": "rawjson",
    "runtime.RawExtension": "rawjson",
    "resource.Quantity": "quantity",
    "intstr.IntOrString": "intorstring",
}

SCALARS = {"string", "int32", "int64", "uint32", "uint64", "bool", "double", "float", "bytes"}

# Short names drop the common prefix: k8s.io.api.core.v1.Pod -> core.v1.Pod.
PREFIXES = [
    "k8s.io.api.",
    "k8s.io.apimachinery.pkg.apis.",
    "k8s.io.apimachinery.pkg.api.",
    "k8s.io.apimachinery.pkg.util.",
    "k8s.io.apimachinery.pkg.",
]

APIMACHINERY_PACKAGES = {
    "meta.v1": "pkg/apis/meta/v1",
    "resource": "pkg/api/resource",
    "intstr": "pkg/util/intstr",
    "runtime": "pkg/runtime",
    "runtime.schema": "pkg/runtime/schema",
}

Field = collections.namedtuple("Field", "number name type label map_value")


def short_name(full):
    for prefix in PREFIXES:
        if full.startswith(prefix):
            return full[len(prefix):]
    raise ValueError("unexpected package for " + full)


class Source:
    """Reads files of one package from the two git mirrors."""

    def __init__(self, git_dirs, refs):
        self.git_dirs = git_dirs
        self.refs = refs

    def locate(self, package):
        """Maps a short package (`core.v1`, `meta.v1`) to (repo, directory)."""
        if package in APIMACHINERY_PACKAGES:
            return "apimachinery", APIMACHINERY_PACKAGES[package]
        return "api", package.replace(".", "/")

    def git(self, repo, *args):
        return subprocess.run(["git", "--git-dir=" + self.git_dirs[repo], *args], check=True,
                              capture_output=True, text=True).stdout

    def read(self, repo, path):
        return self.git(repo, "show", self.refs[repo] + ":" + path)

    def list_go(self, repo, directory):
        out = self.git(repo, "ls-tree", "--name-only", self.refs[repo], directory + "/")
        return [p for p in out.split() if p.endswith(".go") and not p.endswith("_test.go")
                and not p.endswith("generated.pb.go") and "zz_generated" not in p]

    def commit(self, repo):
        return self.git(repo, "rev-parse", self.refs[repo]).strip()


FIELD_RE = re.compile(r"^\s*(optional|repeated)\s+([\w.]+)\s+(\w+)\s*=\s*(\d+)\s*;")
MAP_RE = re.compile(r"^\s*map<\s*string\s*,\s*([\w.]+)\s*>\s+(\w+)\s*=\s*(\d+)\s*;")


def parse_proto(text):
    """Returns (package, {message: [Field]}). generated.proto has no nested messages."""
    package = re.search(r"^package\s+([\w.]+);", text, re.M).group(1)
    messages, current = {}, None
    for line in text.splitlines():
        stripped = line.strip()
        if stripped.startswith("//"):
            continue
        m = re.match(r"^message\s+(\w+)\s*\{", stripped)
        if m:
            current = messages.setdefault(m.group(1), [])
            continue
        if stripped == "}":
            current = None
            continue
        if current is None:
            continue
        m = FIELD_RE.match(line)
        if m:
            current.append(Field(int(m.group(4)), m.group(3), m.group(2), m.group(1), None))
            continue
        m = MAP_RE.match(line)
        if m:
            current.append(Field(int(m.group(3)), m.group(2), "map", "map", m.group(1)))
            continue
        if re.match(r"^\s*(optional|repeated|map|oneof|enum)\b", line):
            raise ValueError("unparsed proto line: " + line)
    return package, messages


GO_FIELD_RE = re.compile(r"^\t([^\t`/][^`]*?)\s+`([^`]*)`")


def parse_go(text):
    """Returns ({struct: {number: (json_name, pointer, inline, omitempty)}}, {slice_types})."""
    structs, slices, current = {}, set(), None
    for line in text.splitlines():
        m = re.match(r"^type\s+(\w+)\s+struct\s*\{", line)
        if m:
            current = structs.setdefault(m.group(1), {})
            continue
        m = re.match(r"^type\s+(\w+)\s+\[\]string\s*$", line)
        if m:
            slices.add(m.group(1))
        if line.startswith("}"):
            current = None
            continue
        if current is None:
            continue
        m = GO_FIELD_RE.match(line)
        if not m:
            continue
        decl, tag = m.group(1).split(), m.group(2)
        pb = re.search(r'protobuf:"[a-z0-9]+,(\d+),', tag)
        if not pb:
            continue
        js = re.search(r'json:"([^"]*)"', tag)
        json_options = js.group(1).split(",") if js else [""]
        json_name = json_options[0]
        go_type = decl[-1]
        embedded = len(decl) == 1
        inline = embedded and json_name == ""
        current[int(pb.group(1))] = (json_name, go_type.startswith("*"), inline,
                                     "omitempty" in json_options[1:])
    return structs, slices


class Schema:
    def __init__(self, source):
        self.source = source
        self.messages = {}  # short name -> [Field] with types resolved to short names
        self.go = {}  # short name -> {number: (json, pointer, inline, omitempty)}
        self.lists = set()  # short names of named []string types
        self.loaded = set()

    def load(self, package):
        if package in self.loaded:
            return
        self.loaded.add(package)
        repo, path = self.source.locate(package)
        proto_package, messages = parse_proto(self.source.read(repo, path + "/generated.proto"))
        pkg_short = short_name(proto_package + ".X")[:-2]
        for name, fields in messages.items():
            resolved = []
            for f in fields:
                t = f.map_value if f.label == "map" else f.type
                if t not in SCALARS:
                    t = short_name(t[1:]) if t.startswith(".") else pkg_short + "." + t
                if f.label == "map":
                    resolved.append(f._replace(map_value=t))
                else:
                    resolved.append(f._replace(type=t))
            self.messages[pkg_short + "." + name] = resolved
        for go_file in self.source.list_go(repo, path):
            structs, slices = parse_go(self.source.read(repo, go_file))
            for name, fields in structs.items():
                self.go.setdefault(pkg_short + "." + name, {}).update(fields)
            self.lists.update(pkg_short + "." + s for s in slices)

    def message(self, name):
        self.load(name.rsplit(".", 1)[0])
        if name not in self.messages:
            raise KeyError("no message " + name)
        return self.messages[name]


def field_token(schema, msg, f, warnings):
    json_name, pointer, inline, omitempty = schema.go.get(msg, {}).get(
        f.number, (f.name, False, False, True))
    if msg in schema.go and f.number not in schema.go[msg]:
        warnings.append("%s.%s (%d): no Go field; using proto name" % (msg, f.name, f.number))
    if json_name and json_name != f.name and not inline:
        warnings.append("%s field %d: proto name %s, JSON name %s" % (msg, f.number, f.name,
                                                                      json_name))
    written = not (pointer or inline or omitempty)
    flags = ("*" if pointer else "") + ("^" if inline else "") + ("+" if written else "")
    if f.label == "map":
        kind = "{}" + f.map_value
    else:
        kind = ("[]" if f.label == "repeated" else "") + f.type
    return "%d=%s:%s%s" % (f.number, json_name or f.name, flags, kind)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--api-git-dir", required=True)
    ap.add_argument("--apimachinery-git-dir", required=True)
    ap.add_argument("--api-ref", default="HEAD")
    ap.add_argument("--apimachinery-ref", default="HEAD")
    args = ap.parse_args()
    source = Source({"api": args.api_git_dir, "apimachinery": args.apimachinery_git_dir},
                    {"api": args.api_ref, "apimachinery": args.apimachinery_ref})
    schema = Schema(source)

    # The special types are always listed, so that the decoder knows them all.
    order, seen, queue = [], set(), [pkg + "." + kind for _, kind, pkg in ROOTS] + sorted(SPECIAL)
    while queue:
        name = queue.pop(0)
        if name in seen:
            continue
        seen.add(name)
        order.append(name)
        if name in SPECIAL:
            continue
        for f in schema.message(name):
            t = f.map_value if f.label == "map" else f.type
            if t not in SCALARS:
                queue.append(t)

    warnings, lines = [], []
    for name in sorted(order):
        if name in SPECIAL:
            lines.append("message %s !%s" % (name, SPECIAL[name]))
        elif name in schema.lists:
            lines.append("message %s !list" % name)
        else:
            tokens = [field_token(schema, name, f, warnings) for f in schema.message(name)]
            lines.append(" ".join(["message", name] + tokens))
    kinds = ["kind %s %s %s.%s" % (gv, kind, pkg, kind) for gv, kind, pkg in ROOTS]
    for w in warnings:
        print("warning: " + w, file=sys.stderr)

    print("// Generated by tools/protobuf_schema/generate_schema.py from kubernetes/api@%s" %
          source.commit("api")[:12])
    print("// and kubernetes/apimachinery@%s. Do not edit: re-run the generator." %
          source.commit("apimachinery")[:12])
    print("// The line format is documented in core/protobuf/schema.h; %d messages." % len(order))
    print('#include "core/protobuf/schema.h"')
    print()
    print("namespace capstan::protobuf {")
    print()
    print("// clang-format off")
    print('const std::string_view kSchemaText = R"schema(')
    print("\n".join(kinds + lines))
    print(')schema";')
    print("// clang-format on")
    print()
    print("}  // namespace capstan::protobuf")


if __name__ == "__main__":
    main()
