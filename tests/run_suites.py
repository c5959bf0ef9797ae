#!/usr/bin/env python3
"""Runs every BareFlow test suite and prints one closing line, `N passed, M failed`.

Suites are found by convention, so a subsystem adds tests without editing this file:
  - GoogleTest binaries in BUILD/host/tests/ and BUILD/asan/tests/
  - unittest modules tests/tools/test_*.py (the Python tools)
  - unittest modules tests/boot/test_*.py (QEMU boot suite; BUILD is passed in
    the environment as BAREFLOW_BUILD)
A suite that dies without its own summary counts as one failure. Exit status is
non-zero when anything failed.
"""
import argparse
import os
import re
import subprocess
import sys
import time

GTEST_TIMEOUT = 900
UNITTEST_TIMEOUT = 1500


def run(cmd, timeout, env=None):
    start = time.monotonic()
    try:
        proc = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                              timeout=timeout, env=env, text=True, errors="replace")
        out, code = proc.stdout, proc.returncode
    except subprocess.TimeoutExpired as exc:
        out = (exc.stdout or b"")
        if isinstance(out, bytes):
            out = out.decode("utf-8", "replace")
        out += f"\n*** timed out after {timeout}s\n"
        code = -1
    return out, code, time.monotonic() - start


def gtest_counts(out, code):
    passed = re.search(r"^\[  PASSED  \] (\d+) tests?", out, re.M)
    failed = re.search(r"^\[  FAILED  \] (\d+) tests?, listed below", out, re.M)
    p = int(passed.group(1)) if passed else 0
    f = int(failed.group(1)) if failed else 0
    if code != 0 and f == 0:
        f = 1  # crashed or exited without a summary
    return p, f


def unittest_counts(out, code):
    ran = re.search(r"^Ran (\d+) tests? in", out, re.M)
    if not ran:
        return 0, 1
    n = int(ran.group(1))
    f = 0
    m = re.search(r"^FAILED \((.*)\)", out, re.M)
    if m:
        for key, val in re.findall(r"(\w+)=(\d+)", m.group(1)):
            if key in ("failures", "errors", "unexpected_successes"):
                f += int(val)
    s = re.search(r"skipped=(\d+)", out)
    skipped = int(s.group(1)) if s else 0
    if code != 0 and f == 0:
        f = 1
    return n - f - skipped, f


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--build", default="build", help="build directory (default: build)")
    ap.add_argument("--only", default="", help="run only suites whose name contains this text")
    args = ap.parse_args()
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    os.chdir(root)

    suites = []
    for sub in ("host/tests", "asan/tests"):
        d = os.path.join(args.build, sub)
        if os.path.isdir(d):
            for name in sorted(os.listdir(d)):
                path = os.path.join(d, name)
                if os.access(path, os.X_OK) and os.path.isfile(path):
                    suites.append((f"{sub.split('/')[0]}:{name}", "gtest", [path]))
    for folder in ("tests/tools", "tests/boot"):
        if os.path.isdir(folder):
            for name in sorted(os.listdir(folder)):
                if name.startswith("test_") and name.endswith(".py"):
                    mod = name[:-3]
                    suites.append((f"{folder}/{name}", "unittest",
                                   [sys.executable, "-m", "unittest", "-v", mod]))

    env = dict(os.environ, BAREFLOW_BUILD=os.path.abspath(args.build),
               BAREFLOW_ROOT=root, PYTHONDONTWRITEBYTECODE="1")
    total_p = total_f = 0
    for name, kind, cmd in suites:
        if args.only and args.only not in name:
            continue
        cwd_env = dict(env)
        if kind == "unittest":
            folder = os.path.dirname(name)
            cwd_env["PYTHONPATH"] = os.path.join(root, folder) + os.pathsep + os.path.join(root, "tools")
            out, code, secs = run(cmd, UNITTEST_TIMEOUT, cwd_env)
            p, f = unittest_counts(out, code)
        else:
            out, code, secs = run(cmd, GTEST_TIMEOUT, cwd_env)
            p, f = gtest_counts(out, code)
        status = "ok" if f == 0 else "FAILED"
        print(f"{name:48s} {p:6d} passed {f:4d} failed  {secs:7.1f}s  {status}", flush=True)
        if f:
            tail = out.splitlines()[-60:]
            print("\n".join("    | " + line for line in tail), flush=True)
        total_p += p
        total_f += f
    print(f"{total_p} passed, {total_f} failed")
    return 1 if total_f or total_p == 0 else 0


if __name__ == "__main__":
    sys.exit(main())
