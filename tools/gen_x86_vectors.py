#!/usr/bin/env python3
"""Golden vectors for the x86 emitter, from NASM and GNU objdump.

The case list comes from the emitter's own test enumeration
(tests/x86/golden_cases.cpp), printed by BUILD/host/x86_golden_dump as
"nasm text<TAB>emitted hex" lines. This script

  1. assembles every text with `nasm -f bin` (bits 32), all in one file, with
     a label after each case so the case boundaries come out of nasm itself;
  2. disassembles nasm's bytes with `objdump -D -b binary -m i386 -M intel`
     and checks that objdump consumes exactly each case's bytes;
  3. writes one vector per case: text, nasm's hex, the instruction lengths
     objdump found, and objdump's text (branch targets made relative to the
     case's start, so they do not depend on where the case sat in the file).

With --check it writes nothing: it regenerates into memory, reports any
difference from the checked-in file (the vectors and the generator must
agree), and also runs objdump over the bytes the emitter wrote, which must
decode to the same text with the same instruction lengths as nasm's bytes.

    tools/gen_x86_vectors.py --dump BUILD/host/x86_golden_dump --out tests/x86/golden_vectors.txt
    tools/gen_x86_vectors.py --dump BUILD/host/x86_golden_dump --check tests/x86/golden_vectors.txt
"""
import argparse
import os
import re
import subprocess
import sys
import tempfile

HEADER = """\
# x86 emitter golden vectors. GENERATED FILE, do not edit.
# Generator: tools/gen_x86_vectors.py --dump BUILD/host/x86_golden_dump --out tests/x86/golden_vectors.txt
# (make x86-vectors). Judges: NASM (nasm -f bin, bits 32) and GNU objdump -M intel.
# Columns (tab-separated): nasm text | nasm bytes (hex) | objdump instruction lengths | objdump text
# BEGIN VECTORS
"""
FOOTER = "# END VECTORS\n"

OBJDUMP = ["objdump", "-D", "-b", "binary", "-m", "i386", "-M", "intel"]
BRANCH = re.compile(r"^(j[a-z]+|call|jmp)\s+0x([0-9a-f]+)$")


def read_dump(path):
    out = subprocess.run([path], stdout=subprocess.PIPE, check=True, text=True).stdout
    cases = []
    for line in out.splitlines():
        text, _, code = line.partition("\t")
        cases.append((text, code))
    return cases


def assemble(texts, workdir):
    """Returns nasm's bytes for each text, or raises with nasm's complaints."""
    src = ["bits 32"]
    line_of_case = []
    for i, text in enumerate(texts):
        src.append(f"case{i}:")
        line_of_case.append(len(src) + 1)
        src.extend(part.strip() for part in text.split("; "))
        src.append(f"case{i}_end:")
    src.append("case_table:")
    src.extend(f"dd case{i}_end" for i in range(len(texts)))
    asm = os.path.join(workdir, "cases.asm")
    binary = os.path.join(workdir, "cases.bin")
    with open(asm, "w") as f:
        f.write("\n".join(src) + "\n")
    proc = subprocess.run(["nasm", "-f", "bin", "-w-all", "-o", binary, asm],
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    if proc.returncode != 0:
        raise SystemExit("nasm rejected some cases:\n" + proc.stdout[:4000])
    data = open(binary, "rb").read()
    table_at = len(data) - 4 * len(texts)
    ends = [int.from_bytes(data[table_at + 4 * i:table_at + 4 * i + 4], "little") for i in range(len(texts))]
    result, start = [], 0
    for end in ends:
        result.append(data[start:end])
        start = end
    return result


def disassemble(chunks, workdir, name):
    """objdump over the concatenation; returns per chunk (lengths, text) or an error string."""
    blob = b"".join(chunks)
    path = os.path.join(workdir, name)
    with open(path, "wb") as f:
        f.write(blob)
    out = subprocess.run(OBJDUMP + [path], stdout=subprocess.PIPE, check=True, text=True).stdout
    insns = []  # [offset, length, text]
    line_re = re.compile(r"^\s*([0-9a-f]+):\t([0-9a-f ]+?)\s*(?:\t(.*))?$")
    for line in out.splitlines():
        m = line_re.match(line)
        if not m:
            continue
        offset, hexbytes, text = int(m.group(1), 16), m.group(2), m.group(3)
        count = len(hexbytes.split())
        if text is None and insns and insns[-1][0] + insns[-1][1] == offset:
            insns[-1][1] += count  # continuation line of a long instruction
        else:
            insns.append([offset, count, " ".join((text or "").split())])
    results = []
    k = 0
    start = 0
    for chunk in chunks:
        end = start + len(chunk)
        lengths, texts, error = [], [], None
        if k < len(insns) and insns[k][0] != start and start != end:
            error = f"objdump has no instruction boundary at the case start"
        while k < len(insns) and insns[k][0] < end:
            offset, length, text = insns[k]
            if offset + length > end:
                error = f"objdump decodes '{text}' across the end of the case"
            m = BRANCH.match(text)
            if m:
                text = f"{m.group(1)} 0x{int(m.group(2), 16) - start:x}"
            lengths.append(length)
            texts.append(text)
            k += 1
        results.append((lengths, " ; ".join(texts), error))
        start = end
    return results


def build_vectors(cases):
    texts = [t for t, _ in cases]
    with tempfile.TemporaryDirectory() as workdir:
        nasm_bytes = assemble(texts, workdir)
        decoded = disassemble(nasm_bytes, workdir, "nasm.bin")
    lines, problems = [], []
    for text, code, (lengths, objdump_text, error) in zip(texts, nasm_bytes, decoded):
        if error:
            problems.append(f"{text}: {error}")
        lines.append(f"{text}\t{code.hex()}\t{','.join(map(str, lengths))}\t{objdump_text}\n")
    return lines, problems


def check_emitted(cases, vectors):
    """objdump over the emitter's bytes must give the vectors' text and lengths."""
    chunks, problems = [], []
    for text, code in cases:
        if code.startswith("ERROR"):
            problems.append(f"{text}: emitter refused it ({code})")
            code = ""
        chunks.append(bytes.fromhex(code))
    with tempfile.TemporaryDirectory() as workdir:
        decoded = disassemble(chunks, workdir, "emitted.bin")
    by_text = {}
    for line in vectors:
        fields = line.rstrip("\n").split("\t")
        by_text[fields[0]] = fields
    for (text, _), chunk, (lengths, objdump_text, error) in zip(cases, chunks, decoded):
        if error:
            problems.append(f"{text}: emitted {chunk.hex()}: {error}")
            continue
        vector = by_text.get(text)
        if vector is None:
            continue  # reported as drift
        if objdump_text != vector[3]:
            problems.append(f"{text}: emitted {chunk.hex()} decodes as '{objdump_text}', nasm's as '{vector[3]}'")
        if sum(lengths) != len(chunk):
            problems.append(f"{text}: objdump consumed {sum(lengths)} of {len(chunk)} emitted bytes")
    return problems


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--dump", required=True, help="path of the x86_golden_dump program")
    group = ap.add_mutually_exclusive_group(required=True)
    group.add_argument("--out", help="write the vectors here")
    group.add_argument("--check", help="compare with this vectors file and check the emitted bytes")
    args = ap.parse_args()

    cases = read_dump(args.dump)
    lines, problems = build_vectors(cases)
    if problems:
        print("\n".join(problems[:50]), file=sys.stderr)
        print(f"gen_x86_vectors: {len(problems)} cases objdump could not split", file=sys.stderr)
        return 1
    generated = HEADER + "".join(lines) + FOOTER
    if args.out:
        with open(args.out, "w") as f:
            f.write(generated)
        print(f"gen_x86_vectors: {len(lines)} vectors written to {args.out}")
        return 0

    existing = open(args.check).read()
    if existing != generated:
        old, new = existing.splitlines(), generated.splitlines()
        missing = sorted(set(new) - set(old))
        stale = sorted(set(old) - set(new))
        print("gen_x86_vectors: the checked-in vectors and the generator disagree "
              "(run `make x86-vectors` and review the diff):", file=sys.stderr)
        for line in missing[:20]:
            print(f"  generated, not checked in: {line}", file=sys.stderr)
        for line in stale[:20]:
            print(f"  checked in, not generated: {line}", file=sys.stderr)
        return 1
    problems = check_emitted(cases, lines)
    if problems:
        print("\n".join(problems[:50]), file=sys.stderr)
        print(f"gen_x86_vectors: {len(problems)} emitted cases disagree with objdump", file=sys.stderr)
        return 1
    print(f"gen_x86_vectors: {len(lines)} vectors agree with the generator and with objdump")
    return 0


if __name__ == "__main__":
    sys.exit(main())
