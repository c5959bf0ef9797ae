"""The float reduction rule, decided once, in the compiler.

docs/flow-language.md ("The float reduction rule") lets a JIT regroup the
additions of one statement shape only:

    for i in lo..hi { ... s += e; ... }      (or s -= e)

where the statement's innermost loop is that `for` loop, `s` is an f32
variable (a local or a parameter) declared outside it, and `s` is read or
written nowhere else in the loop: not in `e`, not in any other statement of
the body. `s = s + e` and `s = e + s` are not reduction statements.

The JIT cannot tell these apart from the bytecode alone (all three spellings
compile to the same add, and a `while` loop can have a `for` loop's shape), so
the permission travels in the module: `mark` sets `reduction = True` on exactly
the Assign nodes the rule names, and codegen emits them as radd.f32/rsub.f32.
Every other float operation is plain add/sub, evaluated as written at every
tier.
"""
from . import nodes as N


def mark(fn):
    """Marks the reduction statements of one checked function."""
    _walk(fn.body, None)


def _walk(node, loop):
    """Visits statements under `node`; `loop` is the innermost enclosing loop."""
    if isinstance(node, N.Assign):
        node.reduction = False
        if isinstance(loop, N.For) and _shape_allows(node):
            loop.candidates.append(node)
        return
    if isinstance(node, N.For):
        node.candidates = []
        _walk(node.body, node)
        declared = set(_declared(node.body))
        for stmt in node.candidates:
            sym = stmt.target.symbol
            stmt.reduction = sym not in declared and _count_names(node.body, sym) == 1
        del node.candidates
        return
    if isinstance(node, N.While):
        _walk(node.body, node)
        return
    if isinstance(node, N.Block):
        for stmt in node.stmts:
            _walk(stmt, loop)
    elif isinstance(node, N.If):
        _walk(node.then, loop)
        if node.orelse is not None:
            _walk(node.orelse, loop)


def _shape_allows(stmt):
    target = stmt.target
    return (stmt.op in ("+=", "-=") and isinstance(target, N.Name)
            and target.type is N.F32 and target.symbol.kind in ("local", "param"))


def _children(node):
    for key, child in node.__dict__.items():
        if key == "symbol":
            continue
        if isinstance(child, N.Node):
            yield child
        elif isinstance(child, list):
            yield from (c for c in child if isinstance(c, N.Node))


def _declared(node):
    if isinstance(node, N.VarDecl):
        yield node.symbol
    for child in _children(node):
        yield from _declared(child)


def _count_names(node, sym):
    """How many times `sym` is named (read or written) under `node`."""
    n = 1 if isinstance(node, N.Name) and getattr(node, "symbol", None) is sym else 0
    return n + sum(_count_names(child, sym) for child in _children(node))
