"""What the flowrun tests share: where flowrun and the BENCH module are, the
host's AVX2, a flowrun call on BENCH, and objdump's instruction lines."""
import os
import re
import subprocess

ROOT = os.environ.get("BAREFLOW_ROOT") or os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BUILD = os.environ.get("BAREFLOW_BUILD") or os.path.join(ROOT, "build")
FLOWRUN = os.path.join(BUILD, "host", "flowrun")
BENCH = os.path.join(BUILD, "modules", "BENCH.BFM")


def host_has_avx2():
    try:
        with open("/proc/cpuinfo") as f:
            return " avx2" in f.read()
    except OSError:
        return False


def flowrun(*args):
    return subprocess.run([FLOWRUN, BENCH] + list(args), capture_output=True, text=True, timeout=120)


def objdump_lines(path):
    out = subprocess.run(["objdump", "-D", "-b", "binary", "-m", "i386", path], capture_output=True, text=True,
                         check=True).stdout
    return [line for line in out.splitlines() if re.match(r"^\s+[0-9a-f]+:\t", line)]
