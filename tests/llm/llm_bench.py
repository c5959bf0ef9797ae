"""`make bench-llm`: tokens per second of the Flow transformer
(modules/llama2.flow, run by build/host/llm at --tier auto, the kernel's
microjit built -m32 for the host) against the C reference built with gcc -O2
(-m32 -msse2 -mfpmath=sse) and with gcc -O3 -march=native -ffast-math (-m32),
on a stories15M-shaped random checkpoint (dim 288, hidden 768, 6 layers,
6 heads, vocab 32000, seq_len 256; 60 MB) and a 32000-token tokenizer.

Each program generates 256 tokens greedily and reports run.c's "achieved
tok/s" (from the first token on, so the loading is left out). The three run
in turn, ROUNDS times, in the same process tree; the table gives each one's
median and the ratios of medians. Figures in BUILD/bench/llm.json.

    python3 tests/llm/llm_bench.py BUILD [ROUNDS]
"""
import json
import os
import re
import statistics
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "tools"))
import llmckpt  # noqa: E402
import llmtok  # noqa: E402


def tok_per_s(cmd):
    proc = subprocess.run(cmd, capture_output=True, timeout=600)
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed:\n{proc.stderr.decode(errors='replace')}")
    m = re.search(rb"achieved tok/s: ([0-9.]+)", proc.stderr)
    tokens = re.search(rb"tokens:((?: [0-9]+)+)", proc.stdout)
    return float(m.group(1)), tokens.group(1).split() if tokens else None


def main():
    build = sys.argv[1] if len(sys.argv) > 1 else "build"
    rounds = int(sys.argv[2]) if len(sys.argv) > 2 else 5
    out_dir = os.path.join(build, "bench")
    os.makedirs(out_dir, exist_ok=True)
    ckpt = os.path.join(out_dir, "stories15M-shape.bin")
    tok = os.path.join(out_dir, "tok32000.bin")
    config = llmckpt.Config(288, 768, 6, 6, 6, 32000, 256, True)
    if not os.path.exists(ckpt) or os.path.getsize(ckpt) != config.file_size():
        llmckpt.write(ckpt, config, 1)
    if not os.path.exists(tok):
        llmtok.write(tok, llmtok.pieces(32000))
    args = [ckpt, "-z", tok, "-n", "256", "-t", "0", "-i", "Once upon a time"]
    programs = [
        ("Flow, tier auto", [os.path.join(build, "host", "llm")] + args + ["--module", os.path.join(build, "modules", "LLAMA2.BFM"), "--tokens"]),
        ("C, gcc -O2", [os.path.join(build, "llm", "reference")] + args),
        ("C, gcc -O3 -march=native -ffast-math", [os.path.join(build, "llm", "reference_fast")] + args),
    ]
    speeds = {name: [] for name, _ in programs}
    tokens = {}
    for _ in range(rounds):
        for name, cmd in programs:
            speed, seq = tok_per_s(cmd)
            speeds[name].append(speed)
            tokens[name] = seq
    if tokens["Flow, tier auto"] != tokens["C, gcc -O2"]:
        raise SystemExit("the Flow model's tokens differ from the C reference's")
    medians = {name: statistics.median(v) for name, v in speeds.items()}
    o2, o3 = medians["C, gcc -O2"], medians["C, gcc -O3 -march=native -ffast-math"]
    print(f"llm: stories15M-shaped checkpoint, 256 greedy tokens, median of {rounds} rounds (tok/s; higher is faster)")
    print(f"{'program':40} {'tok/s':>9} {'vs -O2':>8} {'vs -O3 fast':>12}")
    for name, _ in programs:
        m = medians[name]
        print(f"{name:40} {m:9.1f} {m / o2:7.2f}x {m / o3:11.2f}x")
    print("(ratios of tokens per second: above 1.00x the program is faster than that build;"
          " the same tokens in every program)")
    with open(os.path.join(out_dir, "llm.json"), "w") as f:
        json.dump({"shape": "stories15M", "tokens": 256, "rounds": rounds, "tok_per_s": speeds, "median": medians}, f, indent=1)


if __name__ == "__main__":
    main()
