"""A small independent re-check of flowc's output against the verifier rules of
docs/module-format.md (rules 3-9), so that the compiler's tests catch code the
microjit verifier would reject. It trusts nothing the compiler kept in memory:
it works from the decoded .bfm.
"""
from flow.text import decode

READ_KINDS = {"R_I32": {1}, "R_F32": {2}, "RW_I32": {1}, "R_VIEW": {3, 4},
              "R_VIEW_I32": {3}, "R_VIEW_F32": {4}, "R_ANY": {1, 2, 3, 4}}
WRITE_KINDS = {"W_I32": {1}, "W_F32": {2}, "RW_I32": {1}, "W_ANY": {1, 2, 3, 4}}
TERMINATORS = {"jmp", "ret", "ret.void"}


class VerifyError(AssertionError):
    pass


def verify_image(image, ops):
    for index, f in enumerate(image.functions):
        verify_function(image, f, ops)
    if image.entry != 0xFFFF:
        if image.entry >= len(image.functions) or image.functions[image.entry].param_types:
            raise VerifyError("bad entry_function")


def verify_function(image, f, ops):
    name = f.name
    types = f.reg_types
    n = len(types)
    if not 1 <= n <= 255 or len(f.param_types) > 16:
        raise VerifyError(f"{name}: reg_count {n}")
    if types[:len(f.param_types)] != f.param_types:
        raise VerifyError(f"{name}: parameter registers")
    instrs = list(decode(f.code, ops))
    starts = {pc: k for k, (pc, _, _) in enumerate(instrs)}
    if not instrs or instrs[-1][1].mnemonic not in TERMINATORS:
        raise VerifyError(f"{name}: control can fall off the end")
    succs = []
    for k, (pc, op, values) in enumerate(instrs):
        m = op.mnemonic
        out = [] if m in TERMINATORS else [k + 1]
        for kind, v in zip(op.operands, values):
            if kind == "TARGET":
                if v not in starts:
                    raise VerifyError(f"{name}@{pc}: target {v} is not an instruction start")
                out.append(starts[v])
            elif kind in READ_KINDS or kind in WRITE_KINDS:
                if v >= n:
                    raise VerifyError(f"{name}@{pc}: r{v} >= reg_count {n}")
                allowed = READ_KINDS.get(kind) or WRITE_KINDS[kind]
                if types[v] not in allowed:
                    raise VerifyError(f"{name}@{pc}: {m} r{v} has type {types[v]}")
            elif kind == "W_VIEW":
                if types[v] != image.bufs[values[1]][1]:
                    raise VerifyError(f"{name}@{pc}: gview type")
            elif kind == "R_RET":
                if types[v] != f.return_type:
                    raise VerifyError(f"{name}@{pc}: ret type")
        if m == "mov" and types[values[0]] != types[values[1]]:
            raise VerifyError(f"{name}@{pc}: mov between types")
        if m in ("radd.f32", "rsub.f32") and values[0] != values[1]:
            raise VerifyError(f"{name}@{pc}: {m} does not accumulate into its first operand")
        if m == "ret.void" and f.return_type != 0 or m == "ret" and f.return_type == 0:
            raise VerifyError(f"{name}@{pc}: {m} in a function returning {f.return_type}")
        if m == "call":
            result, callee_index, base = values
            callee = image.functions[callee_index]
            args = types[base:base + len(callee.param_types)]
            if args != callee.param_types:
                raise VerifyError(f"{name}@{pc}: call argument types {args}")
            if (result == 255) != (callee.return_type == 0):
                raise VerifyError(f"{name}@{pc}: call result register")
            if result != 255 and types[result] != callee.return_type:
                raise VerifyError(f"{name}@{pc}: call result type")
        succs.append(out)
    _check_initialised(image, f, instrs, succs)


def _reads_writes(op, values):
    reads, writes = [], []
    for kind, v in zip(op.operands, values):
        if kind in READ_KINDS or kind == "R_RET":
            reads.append(v)
        if kind in WRITE_KINDS or kind == "W_VIEW" or kind == "W_RESULT" and v != 255:
            writes.append(v)
    return reads, writes


def _check_initialised(image, f, instrs, succs):
    """Rule 6: a forward must-be-written dataflow. flowc emits no unreachable code."""
    name = f.name
    state = [None] * len(instrs)
    state[0] = frozenset(range(len(f.param_types)))
    work = [0]
    while work:
        k = work.pop()
        pc, op, values = instrs[k]
        written = state[k]
        reads, writes = _reads_writes(op, values)
        if op.mnemonic == "call":
            count = len(image.functions[values[1]].param_types)
            reads = reads + [values[2] + j for j in range(count)]
        for r in reads:
            if r not in written:
                raise VerifyError(f"{name}@{pc}: r{r} may be read before it is written")
        after = written | frozenset(writes)
        for s in succs[k]:
            new = after if state[s] is None else state[s] & after
            if new != state[s]:
                state[s] = new
                work.append(s)
    for k, s in enumerate(state):
        if s is None:
            raise VerifyError(f"{name}@{instrs[k][0]}: unreachable instruction")
