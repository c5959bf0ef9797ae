"""Shared helpers for the flowc test files: paths, compiling a snippet, running the CLI."""
import os
import subprocess
import sys

ROOT = os.environ.get("BAREFLOW_ROOT") or os.path.dirname(os.path.dirname(
    os.path.dirname(os.path.abspath(__file__))))
TOOLS = os.path.join(ROOT, "tools")
if TOOLS not in sys.path:
    sys.path.insert(0, TOOLS)

from flow import bfm, opcodes, refeval  # noqa: E402
from flow.compiler import compile_source  # noqa: E402
from flow.errors import CompileError  # noqa: E402

FLOWC = os.path.join(TOOLS, "flowc.py")
MODULES = os.path.join(ROOT, "modules")
OPS = opcodes.load()


def compile_text(source, name="TEST"):
    """Returns (ModuleImage, bytes)."""
    return compile_source(source, name, OPS)


def evaluator(source, name="TEST"):
    image, data = compile_text(source, name)
    # Run what the bytes say, not what the compiler kept in memory.
    return refeval.Evaluator(bfm.read(data), OPS)


def module_source(base):
    with open(os.path.join(MODULES, base + ".flow"), encoding="utf-8") as f:
        return f.read()


def run_flowc(*args, cwd=None):
    return subprocess.run([sys.executable, FLOWC, *args], capture_output=True, text=True,
                          cwd=cwd, timeout=60)


__all__ = ["ROOT", "FLOWC", "MODULES", "OPS", "bfm", "opcodes", "refeval", "compile_text",
           "evaluator", "module_source", "run_flowc", "CompileError"]
