#!/usr/bin/env python3
"""Self-test of tools/abi_check.py: copies the ABI headers to a temp dir, baselines the copy, then
applies one mutation per case and asserts whether `--check` rejects it and with which message.
Run: python3 tests/lint/abi_check_test.py (ctest: abi_check_selftest).
"""

import os
import shutil
import subprocess
import sys
import tempfile
import unittest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CHECKER = os.path.join(ROOT, "tools", "abi_check.py")
ABI_DIR = os.path.join(ROOT, "sdk", "include", "capstan", "abi")


def insert_before_footer(text, addition):
    """Places declarations inside the header's guard, before its closing `extern "C"` block."""
    at = text.rindex("#ifdef __cplusplus")
    return text[:at] + addition + "\n" + text[at:]


# (case, header, old text, new text or callable, accepted?, substring the output must contain)
CASES = [
    ("unchanged headers", "common.h", "", "", True, "OK against"),
    ("field inserted mid-struct", "common.h", "  uint32_t reserved0;\n  /* Absolute deadline",
     "  uint32_t reserved0;\n  uint32_t inserted;\n  /* Absolute deadline", False,
     "struct capstan_call: field 'deadline_mono_ns' moved from position 2 to 3"),
    ("field removed", "common.h", "  uint32_t retry_after_ms;\n", "", False,
     "common.h: struct capstan_call: field 'retry_after_ms' (uint32_t) removed"),
    ("field renamed", "common.h", "int64_t deadline_mono_ns;", "int64_t deadline_ns;", False,
     "field 'deadline_mono_ns' renamed to 'deadline_ns'"),
    ("field retyped", "common.h", "  uint32_t error_cap;", "  uint64_t error_cap;", False,
     "struct capstan_call: field 'error_cap' retyped from 'uint32_t' to 'uint64_t'"),
    ("function-pointer field changed", "authn.h", "const capstan_authn_request* request,",
     "capstan_authn_request* request,", False,
     "struct capstan_authn_v1: field 'on_authenticate' retyped"),
    ("function typedef changed", "common.h", "uint32_t id, double value);",
     "uint32_t id, float value);", False,
     "function typedef capstan_host_metric_record_v1_fn changed"),
    ("return code value changed", "common.h", "#define CAPSTAN_RC_DENIED 3",
     "#define CAPSTAN_RC_DENIED 30", False, "CAPSTAN_RC_DENIED: value changed from 3 to 30"),
    ("macro removed", "sched.h", "#define CAPSTAN_PROTOCOL_SCTP 3\n", "", False,
     "CAPSTAN_PROTOCOL_SCTP: macro removed"),
    ("struct removed", "authn.h", "capstan_http_header", "capstan_http_header2", False,
     "authn.h: struct capstan_http_header: struct disappeared"),
    ("embedded value type grows", "common.h", "  const char* data;\n  size_t len;\n} capstan_host_str;",
     "  const char* data;\n  size_t len;\n  size_t extra;\n} capstan_host_str;", False,
     "struct capstan_host_str: appended field(s) 'extra', but the struct has no leading"),
    ("major bump", "common.h", "#define CAPSTAN_ABI_MAJOR 1", "#define CAPSTAN_ABI_MAJOR 2", False,
     "major bump (1 -> 2): update the baseline deliberately"),
    ("field appended at the end", "authn.h",
     "                                capstan_plugin_buf* out_user_json);\n",
     "                                capstan_plugin_buf* out_user_json);\n"
     "  capstan_rc (*on_new_hook)(capstan_plugin_state* state);\n", True,
     "struct capstan_authn_v1: appended field(s) 'on_new_hook'"),
    ("new struct, typedef and macro", "authn.h", None,
     lambda text: insert_before_footer(
         text, "#define CAPSTAN_AUTHN_NEW_FLAG 4\n"
         "typedef struct capstan_authn_extra {\n  uint32_t struct_size;\n  uint32_t flags;\n"
         "} capstan_authn_extra;\n"), True, "new record capstan_authn_extra"),
    ("ABI minor bumped", "common.h", "#define CAPSTAN_ABI_MINOR 0", "#define CAPSTAN_ABI_MINOR 1",
     True, "CAPSTAN_ABI_MINOR: minor bumped 0 -> 1"),
    ("interface minor bumped", "sched.h", "#define CAPSTAN_SCHED_IFACE_MINOR 3",
     "#define CAPSTAN_SCHED_IFACE_MINOR 4", True, "CAPSTAN_SCHED_IFACE_MINOR: minor bumped"),
    ("same value spelled differently", "common.h", "(1ull << 1)", "(2ULL)", True, "OK against"),
]


class AbiCheckTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="abi_check_test_")
        cls.baseline = os.path.join(cls.tmp, "baseline.json")
        pristine = cls.copy_headers("pristine")
        out = cls.run_checker("--write-baseline", cls.baseline, pristine)
        assert out.returncode == 0, out.stdout + out.stderr

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp)

    @classmethod
    def copy_headers(cls, name):
        include = os.path.join(cls.tmp, name.replace(" ", "_"), "include")
        shutil.copytree(ABI_DIR, os.path.join(include, "capstan", "abi"))
        return include

    @classmethod
    def run_checker(cls, mode, baseline, include):
        return subprocess.run([sys.executable, CHECKER, mode, baseline, "--include-dir", include],
                              capture_output=True, text=True, check=False)

    def mutate(self, include, header, old, new):
        path = os.path.join(include, "capstan", "abi", header)
        with open(path, encoding="utf-8") as f:
            text = f.read()
        if callable(new):
            text = new(text)
        elif old:
            self.assertIn(old, text, f"mutation target vanished from {header}; update this test")
            text = text.replace(old, new)
        with open(path, "w", encoding="utf-8") as f:
            f.write(text)

    def test_checker_accepts_growth_and_rejects_breaking_changes(self):
        for case, header, old, new, accepted, message in CASES:
            with self.subTest(case=case):
                include = self.copy_headers(case)
                self.mutate(include, header, old, new)
                out = self.run_checker("--check", self.baseline, include)
                self.assertEqual(out.returncode, 0 if accepted else 1, out.stdout + out.stderr)
                self.assertIn(message, out.stdout)

    def test_minor_may_not_decrease(self):
        bumped = self.copy_headers("minor_bumped")
        self.mutate(bumped, "csi.h", "#define CAPSTAN_CSI_IFACE_MINOR 0",
                    "#define CAPSTAN_CSI_IFACE_MINOR 2")
        baseline = os.path.join(self.tmp, "bumped.json")
        self.assertEqual(self.run_checker("--write-baseline", baseline, bumped).returncode, 0)
        out = self.run_checker("--check", baseline, self.copy_headers("minor_reverted"))
        self.assertEqual(out.returncode, 1, out.stdout)
        self.assertIn("csi.h: CAPSTAN_CSI_IFACE_MINOR: minor decreased 2 -> 0", out.stdout)

    def test_headers_that_do_not_compile_are_an_error(self):
        include = self.copy_headers("broken")
        self.mutate(include, "common.h", "  size_t len;\n} capstan_host_buf;",
                    "  size_tt len;\n} capstan_host_buf;")
        out = self.run_checker("--check", self.baseline, include)
        self.assertEqual(out.returncode, 2, out.stdout)
        self.assertIn("clang failed", out.stderr)


if __name__ == "__main__":
    unittest.main()
