#!/usr/bin/env python3
"""flowc: compiles a Flow module (.flow) into a BareFlow module file (.bfm).

The language is described in docs/flow-language.md and the output format in
docs/module-format.md. The compiler itself lives in tools/flow/.

Exit status: 0 on success, 1 for an error in the program (printed as
file:line:col: message, the source line and a caret), 2 for a usage or I/O
error (unreadable input, unwritable output, a bad --name).
"""
import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from flow import bfm, opcodes, text  # noqa: E402
from flow.compiler import compile_source, valid_module_name  # noqa: E402
from flow.errors import CompileError  # noqa: E402


def fail(message, code=2):
    print(f"flowc: {message}", file=sys.stderr)
    return code


def main(argv=None):
    ap = argparse.ArgumentParser(
        prog="flowc", description="Compile a Flow module (.flow) into a .bfm module file.",
        epilog="Exit status: 0 success, 1 compile error, 2 usage or I/O error.")
    ap.add_argument("source", help="the .flow file to compile")
    ap.add_argument("-o", "--output", help="output file, or a directory to write NAME.BFM "
                    "into (default: NAME.BFM next to the source)")
    ap.add_argument("--name", help="module name, 1-8 characters of A-Z 0-9 _ - "
                    "(default: the source's base name in upper case)")
    ap.add_argument("--emit-text", action="store_true",
                    help="print the bytecode in text form to stdout instead of writing a file "
                    "(also writes the file when -o is given)")
    ap.add_argument("--opcodes", help="path of opcodes.def (default: microjit/opcodes.def "
                    "of this repository)")
    args = ap.parse_args(argv)

    try:
        with open(args.source, "rb") as f:
            raw = f.read()
    except OSError as exc:
        return fail(f"cannot read {args.source}: {exc.strerror}")
    try:
        source = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        return fail(f"{args.source}: not valid UTF-8 text (byte offset {exc.start})", 1)
    base = os.path.splitext(os.path.basename(args.source))[0]
    name = args.name if args.name is not None else base.upper()
    if not valid_module_name(name):
        return fail(f"invalid module name {name!r}: it must be 1-8 characters of A-Z 0-9 _ - "
                    "(use --name to choose one)")
    try:
        ops = opcodes.load(args.opcodes)
    except opcodes.OpcodeTableError as exc:
        return fail(str(exc))
    try:
        image, data = compile_source(source, name, ops)
    except CompileError as exc:
        print(exc.render(args.source, source), file=sys.stderr)
        return 1

    if args.emit_text:
        try:
            sys.stdout.write(text.render(image, ops))
            sys.stdout.flush()
        except BrokenPipeError:
            # The reader went away (`flowc --emit-text ... | head`): not an error.
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        if args.output is None:
            return 0
    output = args.output
    if output is None:
        output = os.path.join(os.path.dirname(args.source), name + ".BFM")
    elif os.path.isdir(output):
        output = os.path.join(output, name + ".BFM")
    # Write then rename, so that make never sees a half-written module.
    tmp = output + ".tmp"
    try:
        with open(tmp, "wb") as f:
            f.write(data)
        os.replace(tmp, output)
    except OSError as exc:
        if os.path.exists(tmp):
            os.remove(tmp)
        return fail(f"cannot write {output}: {exc.strerror}")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        sys.exit(130)
