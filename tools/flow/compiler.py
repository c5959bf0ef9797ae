"""The compiler pipeline in one call: source text to a ModuleImage and .bfm bytes."""
import re
import sys

from . import bfm, codegen, opcodes
from .checker import check
from .errors import CompileError, error_at
from .parser import parse
from .spec import SPEC

MODULE_NAME = re.compile(r"[A-Z0-9_-]{1,8}$")
MAX_FUNCTIONS = SPEC.bfm["max_functions"]
MAX_CONSTS = SPEC.bfm["max_constants"]
MAX_BUFS = SPEC.bfm["max_buffers"]
MAX_FILES = SPEC.bfm["max_files"]
RECURSION_LIMIT = 20000


def valid_module_name(name):
    return bool(MODULE_NAME.match(name))


def compile_source(source, name, ops=None, opt_level=1):
    """Returns (ModuleImage, bytes); raises CompileError for a bad program."""
    ops = ops or opcodes.load()
    # Parser, checker and codegen recurse over the nesting of the program.
    # Python 3.11 keeps Python-to-Python calls off the C stack, so a generous
    # limit is safe; past it, the program gets a "nested too deeply" error.
    sys.setrecursionlimit(max(sys.getrecursionlimit(), RECURSION_LIMIT))
    module = parse(source)
    checker = check(module)
    if not checker.functions:
        raise CompileError("no_functions", 1, 1)
    for items, what, limit in ((checker.functions, "functions", MAX_FUNCTIONS),
                               (checker.consts, "constants", MAX_CONSTS),
                               (checker.bufs, "buffers", MAX_BUFS),
                               (checker.files, "file items", MAX_FILES)):
        if len(items) > limit:
            raise error_at("too_many_items", items[limit].name_tok, what=what, limit=limit)
    entry = bfm.NO_ENTRY
    for i, fn in enumerate(checker.functions):
        if fn.name == "main":
            if fn.params:
                raise error_at("main_params", fn.name_tok)
            entry = i
    compiled = codegen.generate(checker, ops)
    image = bfm.ModuleImage(
        name,
        [bfm.FunctionImage(f.name, f.param_types, f.return_type, f.reg_types, f.code)
         for f in compiled],
        [(c.name, c.type.code, c.symbol.value) for c in checker.consts],
        [(b.name, 3 if b.element.code == 1 else 4, b.count) for b in checker.bufs],
        entry, opt_level, [(f.name, f.path) for f in checker.files])
    return image, bfm.write(image)
