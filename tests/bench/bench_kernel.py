#!/usr/bin/env python3
"""Kernel benchmark: modules and snapshots inside BareFlow, as a user sees them.

    python3 tests/bench/bench_kernel.py [BUILD_DIR]   -> BUILD_DIR/bench/kernel.json

Boots BUILD_DIR/bareflow.img (a private copy) under TCG, and under KVM too
when tools' KVM probe says this host's KVM runs the kernel, and measures:
  - boot time to the prompt, cold (no snapshots) and warm (snapshots saved
    by the cold boot's poweroff): wall time from starting QEMU, and the
    kernel's own `uptime` at the first prompt;
  - for each kernel below, `bench` in the cold boot (first call at tier 0,
    then tier-ups) and in the warm boot (from the snapshot): ns of the first
    call, ns per call at the end, and the time of the whole run;
  - the host figures of the same tier, from BUILD_DIR/bench/tier1.json when
    `make bench` wrote it, for comparison with the in-kernel ones.
Standard library only; QEMU is driven through tests/boot/harness.py.
"""
import json
import os
import re
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "tests", "boot"))

KERNELS = [
    ("fib.fib_iter", "1000"),
    ("fib.fib_rec", "15"),
    ("gcd.gcd", "1071 462"),
    ("collatz.collatz", "27"),
    ("primes.primes", "200"),
    ("sum.sum", "1000"),
    ("bench.bench_dot", "1024"),
    ("bench.bench_saxpy", "1024"),
]
CALLS = 300


def parse_bench(text):
    start = re.search(r"start: (\d+) ns per call \(first call, tier (\d)\)", text)
    end = re.search(r"end: (\d+) ns per call \(mean of the last \d+ calls?, tier (\d)\)", text)
    total = re.search(r"calls took ([0-9.]+) (ns|us|ms)", text)
    if not (start and end and total):
        raise RuntimeError(f"unexpected bench output:\n{text}")
    scale = {"ns": 1e-6, "us": 1e-3, "ms": 1.0}[total.group(2)]
    return {"first_call_ns": int(start.group(1)), "first_tier": int(start.group(2)),
            "end_ns_per_call": int(end.group(1)), "end_tier": int(end.group(2)),
            "total_ms": round(float(total.group(1)) * scale, 3)}


def one_boot(Qemu, image, accel):
    t0 = time.monotonic()
    with Qemu(image, accel=accel, timeout=300) as vm:
        vm.wait_prompt(timeout=120)
        wall_ms = (time.monotonic() - t0) * 1000
        uptime = re.search(r"up ([0-9.]+) s", vm.command("uptime"))
        result = {"boot_wall_ms": round(wall_ms, 1), "kernel_uptime_at_prompt_ms": round(float(uptime.group(1)) * 1000, 1),
                  "snapshots_loaded": len(re.findall(r"snap: /JIT/\w+\.SNP loaded", vm.output)), "kernels": {}}
        for name, args in KERNELS:
            result["kernels"][name] = parse_bench(vm.command(f"bench {name} {CALLS} {args}", timeout=240))
        vm.send_line("poweroff")
        vm.wait_exit(timeout=60)
    return result


def main():
    build = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "build"))
    os.environ["BAREFLOW_BUILD"] = build
    from harness import Qemu, kvm_usable, make_image_copy

    report = {"calls_per_bench": CALLS, "kernels": [k for k, _ in KERNELS], "runs": {}}
    for accel in ["tcg"] + (["kvm"] if kvm_usable() else []):
        image = make_image_copy()
        cold = one_boot(Qemu, image, accel)
        warm = one_boot(Qemu, image, accel)
        report["runs"][accel] = {"cold": cold, "warm": warm}
    if "kvm" not in report["runs"]:
        report["kvm"] = "not measured: this host's KVM cannot run the 32-bit kernel (tools/kvm-probe.sh)"
    host = os.path.join(build, "bench", "tier1.json")
    if os.path.exists(host):
        with open(host) as f:
            report["host_tier1"] = json.load(f)
    out = os.path.join(build, "bench", "kernel.json")
    os.makedirs(os.path.dirname(out), exist_ok=True)
    with open(out, "w") as f:
        json.dump(report, f, indent=2)
        f.write("\n")
    for accel, run in report["runs"].items():
        print(f"{accel}: boot to prompt cold {run['cold']['boot_wall_ms']} ms (kernel {run['cold']['kernel_uptime_at_prompt_ms']} ms), "
              f"warm {run['warm']['boot_wall_ms']} ms (kernel {run['warm']['kernel_uptime_at_prompt_ms']} ms, "
              f"{run['warm']['snapshots_loaded']} snapshots)")
        for name in report["kernels"]:
            c, w = run["cold"]["kernels"][name], run["warm"]["kernels"][name]
            print(f"  {name:18} cold: first {c['first_call_ns']} ns (tier {c['first_tier']}), end {c['end_ns_per_call']} ns "
                  f"(tier {c['end_tier']}), {c['total_ms']} ms; warm: first {w['first_call_ns']} ns (tier {w['first_tier']}), "
                  f"end {w['end_ns_per_call']} ns, {w['total_ms']} ms")
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
