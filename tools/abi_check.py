#!/usr/bin/env python3
"""Checks that the plugin C ABI (sdk/include/capstan/abi/*.h) only grows by appending (common.h
convention 4). Reads records and typedefs from clang's JSON AST, field offsets from clang's
record-layout dump and `#define CAPSTAN_*` values from the header text; writes them as a baseline
(--write-baseline) or compares the headers against one (--check). Standard library only.
Self-test: tests/lint/abi_check_test.py; baseline: sdk/abi_baseline.json.
"""

import argparse
import ast
import hashlib
import json
import os
import re
import subprocess
import sys
import tempfile

FORMAT = 1
# Minors may grow (convention 3); majors may only change together with a new baseline.
MINOR_RE = re.compile(r"^CAPSTAN_(?:ABI|\w+_IFACE)_MINOR$")
MAJOR_RE = re.compile(r"^CAPSTAN_(?:ABI|\w+_IFACE)_MAJOR$")
DEFINE_RE = re.compile(r"^\s*#\s*define\s+(CAPSTAN_\w+(?:\([^)]*\))?)(.*)$")
# Unnamed records print with their path ("struct (unnamed at /tmp/x/a.h:3:9)"); keep text stable.
UNNAMED_RE = re.compile(r"\((?:anonymous|unnamed)[^()]*? at [^()]*\)")


class AbiError(Exception):
    """The headers could not be read (clang failed or printed something unexpected)."""


def run_clang(clang, include_dir, extra_args, source):
    """Compiles `source` as C11 with `include_dir` on the include path; returns stdout."""
    with tempfile.TemporaryDirectory() as tmp:
        tu = os.path.join(tmp, "abi_check_tu.c")
        with open(tu, "w", encoding="utf-8") as f:
            f.write(source)
        cmd = [clang, "-x", "c", "-std=c11", "-fsyntax-only", "-I", include_dir, *extra_args, tu]
        proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise AbiError("clang failed on the ABI headers:\n" + proc.stderr)
    return proc.stdout


def normalize_type(text):
    return UNNAMED_RE.sub("(unnamed)", text)


def walk_locations(obj, state):
    """Visits `obj` in document order, tracking the current file: clang's JSON prints a location's
    "file" only when it differs from the previously printed one."""
    if isinstance(obj, dict):
        if "offset" in obj and "file" in obj:
            state["file"] = obj["file"]
        for value in obj.values():
            walk_locations(value, state)
    elif isinstance(obj, list):
        for value in obj:
            walk_locations(value, state)


def owned_tag_id(node):
    """The id of the record a typedef defines inline (`typedef struct {...} name;`), if any."""
    for child in node.get("inner", []):
        if "ownedTagDecl" in child:
            return child["ownedTagDecl"].get("id")
    return None


def read_ast(clang, include_dir, abi_dir, tu_source):
    """Returns ({record: {header, fields|None}}, {typedef: {header, type}}) for the ABI headers."""
    tree = json.loads(run_clang(clang, include_dir, ["-Xclang", "-ast-dump=json"], tu_source))
    records, typedefs, by_id = {}, {}, {}
    state = {"file": None}

    def add_record(node, header):
        fields, nested = None, None
        if node.get("completeDefinition"):
            fields = []
            for child in node.get("inner", []):
                if child.get("kind") == "RecordDecl":
                    nested = add_record(child, header)  # a nested definition is file-scope in C
                elif child.get("kind") == "FieldDecl":
                    ftype = normalize_type(child["type"]["qualType"])
                    if "(unnamed)" in ftype and nested and nested["fields"] is not None:
                        # An unnamed member record has no entry of its own: spell it out.
                        body = "; ".join(f"{f['type']} {f['name']}" for f in nested["fields"])
                        ftype = ftype.replace("(unnamed)", "{ " + body + "; }")
                    if child.get("isBitfield"):
                        ftype += " : bitfield"
                    fields.append({"name": child.get("name", ""), "type": ftype})
        entry = {"header": header, "kind": node.get("tagUsed", "struct"), "fields": fields}
        name = node.get("name", "")
        by_id[node["id"]] = (name, entry)
        if name and (fields is not None or name not in records):
            records[name] = entry
        return entry

    for node in tree.get("inner", []):
        walk_locations(node.get("loc"), state)
        path = os.path.realpath(state["file"]) if state["file"] else ""
        walk_locations({k: v for k, v in node.items() if k != "loc"}, state)
        if os.path.dirname(path) != abi_dir:
            continue
        header = os.path.basename(path)
        if node.get("kind") == "RecordDecl":
            add_record(node, header)
        elif node.get("kind") == "TypedefDecl":
            typedefs[node["name"]] = {"header": header,
                                      "type": normalize_type(node["type"]["qualType"])}
            tag_name, tag = by_id.get(owned_tag_id(node), ("-", None))
            if not tag_name:
                tag["unnamed"] = True
                records[node["name"]] = tag  # an unnamed struct takes its typedef's name
    return records, typedefs


def read_layouts(clang, include_dir, records, tu_source):
    """Adds size, align and per-field offsets (bytes) to every defined record, in place."""
    defined = sorted(n for n, r in records.items() if r["fields"] is not None)
    if not defined:
        return
    # Unnamed structs are reachable only through their typedef; a tag may have no typedef.
    uses = ",\n".join(f"  sizeof({n})" if records[n].get("unnamed") else
                      f"  sizeof({records[n]['kind']} {n})" for n in defined)
    source = tu_source + f"unsigned long capstan_abi_check_sizes[] = {{\n{uses}\n}};\n"
    dump = run_clang(clang, include_dir, ["-Xclang", "-fdump-record-layouts"], source)
    layouts, current = {}, None
    for line in dump.splitlines():
        m = re.match(r"^\s*(\d+)(?::\S+)? \| (?:struct |union )?(\S+)$", line)
        if m and m.group(1) == "0" and current is None:
            current = layouts.setdefault(m.group(2), {"offsets": []})
            continue
        m = re.match(r"^\s*(\d+)(?::\S+)? \|   (\S.*)$", line)  # top-level fields only
        if m and current is not None:
            current["offsets"].append(int(m.group(1)))
            continue
        m = re.match(r"^\s*\| \[sizeof=(\d+), .*?align=(\d+)", line)
        if m and current is not None:
            current["size"], current["align"] = int(m.group(1)), int(m.group(2))
            current = None
    for name in defined:
        rec = records[name]
        lay = layouts.get(name)
        if lay is None or len(lay["offsets"]) != len(rec["fields"]):
            continue
        rec["size"], rec["align"] = lay["size"], lay["align"]
        for field, offset in zip(rec["fields"], lay["offsets"]):
            field["offset"] = offset


def eval_int(text):
    """Evaluates an integer constant expression such as `(1ull << 3)`; None if it is not one."""
    def literal(m):
        digits = m.group(1)
        base = 16 if digits[:2].lower() == "0x" else (8 if len(digits) > 1 and digits[0] == "0"
                                                      else 10)
        return str(int(digits, base))
    expr = re.sub(r"\b(0[xX][0-9a-fA-F]+|\d+)[uUlL]*\b", literal, text)
    try:
        tree = ast.parse(expr, mode="eval")
    except SyntaxError:
        return None
    allowed = (ast.Expression, ast.BinOp, ast.UnaryOp, ast.Constant, ast.operator, ast.unaryop)
    if not all(isinstance(n, allowed) for n in ast.walk(tree)):
        return None
    if any(isinstance(n, ast.Constant) and type(n.value) is not int for n in ast.walk(tree)):
        return None
    try:
        value = eval(compile(tree, "<macro>", "eval"), {"__builtins__": {}})  # checked above
    except (ArithmeticError, ValueError):
        return None
    return value if isinstance(value, int) else None


def read_macros(abi_dir):
    """Returns {macro: {header, value[, int]}} for every valued `#define CAPSTAN_*`."""
    macros = {}
    for header in sorted(os.listdir(abi_dir)):
        if not header.endswith(".h"):
            continue
        with open(os.path.join(abi_dir, header), encoding="utf-8") as f:
            text = f.read().replace("\\\n", " ")
        text = re.sub(r"/\*.*?\*/", " ", text, flags=re.S)
        for line in text.splitlines():
            m = DEFINE_RE.match(re.sub(r'//[^"]*$', "", line))
            if not m or not m.group(2).strip():
                continue  # include guards carry no value
            value = " ".join(m.group(2).split())
            entry = {"header": header, "value": value}
            number = eval_int(value)
            if number is not None:
                entry["int"] = number
            macros[m.group(1)] = entry
    return macros


def snapshot(include_dir, clang):
    include_dir = os.path.realpath(include_dir)
    abi_dir = os.path.join(include_dir, "capstan", "abi")
    headers = sorted(h for h in os.listdir(abi_dir) if h.endswith(".h"))
    # abi.h first; the rest catches a header that abi.h forgot to include.
    tu = "".join(f'#include "capstan/abi/{h}"\n' for h in ["abi.h"] + headers)
    records, typedefs = read_ast(clang, include_dir, abi_dir, tu)
    read_layouts(clang, include_dir, records, tu)
    snap = {"format": FORMAT, "records": records, "typedefs": typedefs,
            "macros": read_macros(abi_dir)}
    snap["layout_fingerprint"] = fingerprint(records)
    return snap


def fingerprint(records):
    lines = []
    for name in sorted(records):
        rec = records[name]
        if rec["fields"] is None:
            continue
        offs = ",".join(str(f.get("offset", "?")) for f in rec["fields"])
        lines.append(f"{name} {rec.get('size', '?')} {rec.get('align', '?')} {offs}")
    return "sha256:" + hashlib.sha256("\n".join(lines).encode()).hexdigest()


def dump_baseline(snap):
    """JSON with one macro, typedef or field per line, so that baseline diffs read well."""
    def one(value):
        return json.dumps(value, sort_keys=True)

    out = ["{", f' "format": {snap["format"]},',
           f' "layout_fingerprint": {one(snap["layout_fingerprint"])},']
    for section in ("macros", "typedefs"):
        items = sorted(snap[section].items())
        out.append(f' "{section}": {{')
        out += [f"  {one(k)}: {one(v)}," for k, v in items]
        out[-1] = out[-1].rstrip(",")
        out.append(" },")
    out.append(' "records": {')
    for name, rec in sorted(snap["records"].items()):
        head = one({k: v for k, v in rec.items() if k != "fields"})[:-1]
        if rec["fields"] is None:
            out.append(f'  {one(name)}: {head}, "fields": null}},')
            continue
        out.append(f'  {one(name)}: {head}, "fields": [')
        out += [f"   {one(f)}," for f in rec["fields"]]
        out[-1] = out[-1].rstrip(",")
        out.append("  ]},")
    out[-1] = out[-1].rstrip(",")
    out += [" }", "}", ""]
    return "\n".join(out)


def compare_record(name, old, new, errors, infos):
    where = f"{old['header']}: {old['kind']} {name}"
    if new is None:
        errors.append(f"{where}: struct disappeared")
        return
    if new["kind"] != old["kind"]:
        errors.append(f"{where}: changed from {old['kind']} to {new['kind']}")
    if old["fields"] is None:
        if new["fields"] is not None:
            infos.append(f"{where}: opaque struct got a definition")
        return
    if new["fields"] is None:
        errors.append(f"{where}: lost its definition (now opaque)")
        return
    new_index = {f["name"]: i for i, f in enumerate(new["fields"])}
    old_names = {f["name"] for f in old["fields"]}
    found, moved, shifted = len(errors), [], []
    for i, field in enumerate(old["fields"]):
        fname = field["name"]
        j = new_index.get(fname)
        if j is None:
            there = new["fields"][i]["name"] if i < len(new["fields"]) else None
            if there is not None and there not in old_names:
                errors.append(f"{where}: field '{fname}' renamed to '{there}' (position {i})")
            else:
                errors.append(f"{where}: field '{fname}' ({field['type']}) removed")
            continue
        cur = new["fields"][j]
        if j != i:
            moved.append(f"field '{fname}' moved from position {i} to {j}")
        elif cur["type"] != field["type"]:
            errors.append(f"{where}: field '{fname}' retyped from '{field['type']}' "
                          f"to '{cur['type']}'")
        elif field.get("offset", cur.get("offset")) != cur.get("offset", field.get("offset")):
            shifted.append(f"field '{fname}' offset changed from {field['offset']} to "
                                 f"{cur['offset']}")
    # One insertion or one grown embedded type shifts every later field; name the first only.
    for shifts, why in ((moved, "a field was inserted, removed or reordered before it"),
                        (shifted, "a type it embeds changed size")):
        if shifts:
            more = f" (and {len(shifts) - 1} later fields)" if len(shifts) > 1 else ""
            errors.append(f"{where}: {shifts[0]}{more}: {why}")
    added = new["fields"][len(old["fields"]):]
    if not added or len(errors) > found:
        return
    names = ", ".join(f"'{f['name']}'" for f in added)
    if old["fields"] and old["fields"][0]["name"] == "struct_size":
        infos.append(f"{where}: appended field(s) {names}")
    else:
        errors.append(f"{where}: appended field(s) {names}, but the struct has no leading "
                      "`struct_size`, so it is embedded or used in arrays by size and cannot "
                      "grow (convention 4); add a new struct instead")


def compare_macro(name, old, new, errors, infos):
    where = f"{old['header']}: {name}"
    if new is None:
        errors.append(f"{where}: macro removed (was {old['value']})")
        return
    same = (old["int"] == new["int"]) if ("int" in old and "int" in new) else (
        old["value"] == new["value"])
    if same:
        return
    if MAJOR_RE.match(name):
        errors.append(f"{where}: major bump ({old['value']} -> {new['value']}): update the "
                      "baseline deliberately (tools/abi_check.py --write-baseline)")
    elif MINOR_RE.match(name) and "int" in old and "int" in new:
        if new["int"] > old["int"]:
            infos.append(f"{where}: minor bumped {old['value']} -> {new['value']}")
        else:
            errors.append(f"{where}: minor decreased {old['value']} -> {new['value']} "
                          "(minors may only increase)")
    else:
        errors.append(f"{where}: value changed from {old['value']} to {new['value']}")


def compare(base, cur):
    """Returns (violations, infos) of `cur` against the baseline `base`, as message lists."""
    errors, infos = [], []
    for name, old in sorted(base["records"].items()):
        compare_record(name, old, cur["records"].get(name), errors, infos)
    for name, old in sorted(base["typedefs"].items()):
        new = cur["typedefs"].get(name)
        what = "function typedef" if "(*)" in old["type"] else "typedef"
        if new is None:
            errors.append(f"{old['header']}: {what} {name} removed")
        elif new["type"] != old["type"]:
            errors.append(f"{old['header']}: {what} {name} changed from '{old['type']}' "
                          f"to '{new['type']}'")
    for name, old in sorted(base["macros"].items()):
        compare_macro(name, old, cur["macros"].get(name), errors, infos)
    for kind in ("records", "typedefs", "macros"):
        for name in sorted(set(cur[kind]) - set(base[kind])):
            infos.append(f"{cur[kind][name]['header']}: new {kind[:-1]} {name}")
    return errors, infos


def main(argv):
    here = os.path.dirname(os.path.abspath(__file__))
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    mode = parser.add_mutually_exclusive_group(required=True)
    mode.add_argument("--write-baseline", metavar="FILE")
    mode.add_argument("--check", metavar="FILE")
    parser.add_argument("--include-dir", default=os.path.join(here, "..", "sdk", "include"),
                        help="directory holding capstan/abi/ (default: the SDK's)")
    parser.add_argument("--clang", default=os.environ.get("CLANG", "clang"))
    args = parser.parse_args(argv)
    try:
        cur = snapshot(args.include_dir, args.clang)
    except (AbiError, OSError) as e:
        print(f"abi_check: {e}", file=sys.stderr)
        return 2
    print(f"abi_check: {len(cur['records'])} structs, {len(cur['typedefs'])} typedefs, "
          f"{len(cur['macros'])} macros; layout fingerprint {cur['layout_fingerprint']}")
    if args.write_baseline:
        with open(args.write_baseline, "w", encoding="utf-8") as f:
            f.write(dump_baseline(cur))
        print(f"abi_check: wrote {args.write_baseline}")
        return 0
    with open(args.check, encoding="utf-8") as f:
        base = json.load(f)
    if base.get("format") != FORMAT:
        print(f"abi_check: {args.check}: unknown baseline format", file=sys.stderr)
        return 2
    errors, infos = compare(base, cur)
    for msg in infos:
        print(f"info: {msg}")
    if base.get("layout_fingerprint") != cur["layout_fingerprint"]:
        print("info: layout fingerprint differs from the baseline's (expected after appending)")
    for msg in errors:
        print(f"ABI VIOLATION: {msg}")
    if errors:
        print(f"abi_check: {len(errors)} violation(s) of append-only growth against {args.check}")
        return 1
    print(f"abi_check: OK against {args.check}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
