"""Code generation: checked syntax tree to register bytecode, one function at a time.

Shapes (docs/flow-language.md, "Bytecode"):
  if c {A} else {B}     cond-false(c) -> L_else; A; jmp L_end; L_else: B; L_end:
  while c {A}           cond-false(c) -> L_exit; L_top: A; L_cont: cond-true(c) -> L_top; L_exit:
  for i in lo..hi {A}   i = lo; end = hi; br.ge.i32 i, end -> L_exit;
                        L_top: A; L_cont: forloop i, end -> L_top; L_exit:
Conditions on i32 comparisons use the fused br.<cc>.i32 forms (jz/jnz against
zero); && and || short-circuit with jumps. Code that cannot be reached (after
return, break, continue, or under a constant-false condition) is not emitted,
which is also how a missing return is found: the end of a non-void function
must be unreachable.
"""
import struct

from . import fold
from . import nodes as N
from . import reductions
from .checker import Symbol
from .errors import error_at
from .nodes import I32, F32, VOID
from .regs import RegisterFile, TooManyRegisters
from .spec import SPEC

MAX_PARAMS = SPEC.bfm["max_params"]
MAX_CODE = SPEC.bfm["max_function_code"]
NO_RESULT = 255
MAX_HOISTED = 16             # constants kept in registers per function
HOIST_REGISTER_LIMIT = 192   # stop hoisting when the function needs this many registers

INVERSE = {"==": "!=", "!=": "==", "<": ">=", ">=": "<", "<=": ">", ">": "<="}
CC = {"==": "eq", "!=": "ne", "<": "lt", "<=": "le", ">": "gt", ">=": "ge"}
ARITH = {"+": "add", "-": "sub", "*": "mul", "/": "div", "%": "rem",
         "&": "and", "|": "or", "^": "xor", "<<": "shl", ">>": "shr"}


class Label:
    __slots__ = ("pos", "refs")

    def __init__(self):
        self.pos = None
        self.refs = []     # byte offsets of TARGET fields to patch


class CompiledFunction:
    def __init__(self, node, code, reg_types):
        self.node = node
        self.name = node.name
        self.param_types = [p.type.code for p in node.params]
        self.return_type = node.ret.code
        self.code = bytes(code)
        self.reg_types = list(reg_types)


class FunctionGen:
    def __init__(self, fn, ops):
        self.fn = fn
        self.ops = ops
        self.code = bytearray()
        self.regs = RegisterFile()
        self.reachable = True
        self.loops = []         # (break label, continue label)
        self.var_regs = {}      # Symbol -> register
        self.labels = []
        self.targets = []       # (offset of a TARGET field, Label)
        self.const_regs = {}    # (type code, bits) -> register holding that constant
        self.prologue = bytearray()

    # --- emission ---------------------------------------------------------------
    def emit(self, mnemonic, *operands):
        if not self.reachable:
            return
        op = self.ops[mnemonic]
        assert len(operands) == len(op.operands), (mnemonic, operands)
        code = self.code
        code.append(op.code)
        for kind, v in zip(op.operands, operands):
            if kind == "IMM_I32":
                code += struct.pack("<i", v)
            elif kind == "IMM_F32":
                code += struct.pack("<f", v)
            elif kind in ("BUF", "FUNC", "FILE"):
                code += struct.pack("<H", v)
            elif kind == "TARGET":
                self.targets.append((len(code), v))
                if v.pos is None:
                    v.refs.append(len(code))
                    code += b"\0\0\0\0"
                else:
                    code += struct.pack("<I", v.pos)
            else:
                assert 0 <= v <= 255, (mnemonic, v)
                code.append(v)
        if mnemonic in ("jmp", "ret", "ret.void"):
            self.reachable = False

    def label(self):
        lab = Label()
        self.labels.append(lab)
        return lab

    def bind(self, lab):
        lab.pos = len(self.code)
        if lab.refs:
            self.reachable = True
        for at in lab.refs:
            self.code[at:at + 4] = struct.pack("<I", lab.pos)

    # --- functions --------------------------------------------------------------
    def generate(self):
        try:
            return self._generate()
        except RecursionError:
            raise error_at("too_deep", self.fn.name_tok, name=self.fn.name)

    def _generate(self):
        fn = self.fn
        if len(fn.params) > MAX_PARAMS:
            raise error_at("too_many_params", fn.name_tok, name=fn.name)
        reductions.mark(fn)
        try:
            for sym in fn.param_symbols:
                self.var_regs[sym] = self.regs.fixed(sym.type.code)
            # Buffer views are materialised once, at entry, so they dominate every use.
            for sym in sorted(used_buffers(fn.body), key=lambda s: s.index):
                r = self.regs.fixed(sym.type.code)
                self.var_regs[sym] = r
                self.emit("gview", r, sym.index)
            self.block(fn.body)
            if self.reachable:
                if fn.ret is not VOID:
                    raise error_at("missing_return", fn.name_tok, name=fn.name)
                self.emit("ret.void")
            if not self.regs.types:
                self.regs.fixed(I32.code)  # reg_count must be at least 1
        except TooManyRegisters:
            raise error_at("too_many_regs", fn.name_tok, name=fn.name)
        self.prepend_prologue()
        if len(self.code) > MAX_CODE:
            raise error_at("code_too_large", fn.name_tok, name=fn.name)
        return CompiledFunction(fn, self.code, self.regs.types)

    def prepend_prologue(self):
        """Puts the hoisted constants first and moves every jump target past them."""
        shift = len(self.prologue)
        if not shift:
            return
        code = self.prologue + self.code
        for at, lab in self.targets:
            code[shift + at:shift + at + 4] = struct.pack("<I", lab.pos + shift)
        self.code = code

    def constant_operand(self, t, value):
        """A register holding a constant that a loop uses as an operand.

        Loop bodies would otherwise rematerialise it on every iteration; it is
        loaded once, at function entry, into a register nothing else writes.
        Outside loops, or when registers run short, it is loaded where used."""
        key = (t.code, value if t is I32 else fold.f32_bits(value))
        r = self.const_regs.get(key)
        if r is not None:
            return r
        if len(self.const_regs) >= MAX_HOISTED or len(self.regs.types) >= HOIST_REGISTER_LIMIT:
            return None
        r = self.regs.fixed(t.code)
        op = self.ops["const.i32" if t is I32 else "const.f32"]
        self.prologue += bytes([op.code, r]) + struct.pack("<i" if t is I32 else "<f", value)
        self.const_regs[key] = r
        return r

    # --- statements ---------------------------------------------------------------
    def block(self, block):
        for stmt in block.stmts:
            self.stmt(stmt)
        for sym in block.declared:
            self.regs.release(self.var_regs.pop(sym))

    def stmt(self, s):
        if isinstance(s, N.Block):
            self.block(s)
        elif isinstance(s, N.VarDecl):
            r = self.regs.local(s.symbol.type.code)
            self.expr(s.expr, dest=r)
            self.var_regs[s.symbol] = r
        elif isinstance(s, N.Assign):
            self.assign(s)
        elif isinstance(s, N.If):
            self.if_stmt(s)
        elif isinstance(s, N.While):
            if s.cond.value == 0:
                return
            self.while_stmt(s)
        elif isinstance(s, N.For):
            self.for_stmt(s)
        elif isinstance(s, N.Return):
            if s.expr is None:
                self.emit("ret.void")
            else:
                r = self.value(s.expr)
                self.emit("ret", r)
                self.regs.done(r)
        elif isinstance(s, N.Break):
            self.emit("jmp", self.loops[-1][0])
        elif isinstance(s, N.Continue):
            self.emit("jmp", self.loops[-1][1])
        elif isinstance(s, N.ExprStmt):
            r = self.expr(s.expr, dest=None)
            if r is not None:
                self.regs.done(r)
        else:
            raise AssertionError(s)

    def if_stmt(self, s):
        if s.cond.value is not None:
            # A constant condition compiles only the branch it selects.
            if s.cond.value != 0:
                self.block(s.then)
            elif isinstance(s.orelse, N.If):
                self.if_stmt(s.orelse)
            elif s.orelse is not None:
                self.block(s.orelse)
            return
        else_label = self.label()
        self.cond_false(s.cond, else_label)
        self.block(s.then)
        if s.orelse is None:
            self.bind(else_label)
            return
        end = self.label()
        self.emit("jmp", end)
        self.bind(else_label)
        if isinstance(s.orelse, N.If):
            self.if_stmt(s.orelse)
        else:
            self.block(s.orelse)
        self.bind(end)

    def while_stmt(self, s):
        # The test is repeated at the bottom, so an iteration costs one branch
        # and no jmp; a constant-true loop is just a jmp back.
        top, cont, exit = self.label(), self.label(), self.label()
        self.cond_false(s.cond, exit)
        self.bind(top)
        self.loops.append((exit, cont))
        self.block(s.body)
        self.bind(cont)
        if s.cond.value is not None:
            self.emit("jmp", top)
        else:
            self.cond_jump(s.cond, top, jump_if=True)
        self.loops.pop()
        self.bind(exit)

    def for_stmt(self, s):
        i = self.regs.local(I32.code)
        end = self.regs.local(I32.code)
        self.var_regs[s.symbol] = i
        self.expr(s.lo, dest=i)
        self.expr(s.hi, dest=end)
        top, cont, exit = self.label(), self.label(), self.label()
        lo, hi = s.lo.value, s.hi.value
        if lo is not None and hi is not None:
            if lo >= hi:
                self.emit("jmp", exit)   # the body never runs
        else:
            self.emit("br.ge.i32", i, end, exit)
        self.bind(top)
        self.loops.append((exit, cont))
        self.block(s.body)
        self.loops.pop()
        self.bind(cont)
        self.emit("forloop", i, end, top)
        self.bind(exit)
        del self.var_regs[s.symbol]
        self.regs.release(i)
        self.regs.release(end)

    def assign(self, s):
        target = s.target
        t = target.type
        suffix = ".i32" if t is I32 else ".f32"
        if isinstance(target, N.Name):
            r = self.var_regs[target.symbol]
            if s.op == "=":
                self.expr(s.expr, dest=r)
            elif s.reduction:
                # s += e / s -= e under the float reduction rule (reductions.py).
                b = self.value(s.expr)
                self.regs.done(b)
                self.emit("radd.f32" if s.op == "+=" else "rsub.f32", r, r, b)
            else:
                self.arith(s.op[0], t, r, r, None, s.expr)
            return
        view = self.var_regs[target.array.symbol]
        index = self.value(target.index)
        if s.op == "=":
            v = self.value(s.expr)
            self.emit("store" + suffix, view, index, v)
            self.regs.done(v)
        else:
            # a[i] op= e evaluates i, then e, then reads, combines and writes a[i].
            rhs = self.value(s.expr)
            old = self.regs.temp(t.code)
            self.emit("load" + suffix, old, view, index)
            self.emit(ARITH[s.op[0]] + suffix, old, old, rhs)
            self.emit("store" + suffix, view, index, old)
            self.regs.done(old)
            self.regs.done(rhs)
        self.regs.done(index)

    # --- expressions ----------------------------------------------------------------
    def value(self, e):
        return self.expr(e, dest=None)

    def target(self, dest, type):
        return dest if dest is not None else self.regs.temp(type.code)

    def expr(self, e, dest):
        """Computes e into `dest` (or a register of its choosing); returns the register.

        Every operand is read before `dest` is written, so dest may be a variable
        that e itself reads."""
        t = e.type
        if e.value is not None:
            if dest is None and self.loops:
                r = self.constant_operand(t, e.value)
                if r is not None:
                    return r
            d = self.target(dest, t)
            self.emit("const.i32" if t is I32 else "const.f32", d, e.value)
            return d
        if isinstance(e, N.Name):
            r = self.var_regs[e.symbol]
            if dest is not None and dest != r:
                self.emit("mov", dest, r)
                return dest
            return r
        if isinstance(e, N.Index):
            view = self.var_regs[e.array.symbol]
            index = self.value(e.index)
            self.regs.done(index)
            d = self.target(dest, t)
            self.emit("load.i32" if t is I32 else "load.f32", d, view, index)
            return d
        if isinstance(e, N.Unary):
            a = self.value(e.operand)
            self.regs.done(a)
            d = self.target(dest, t)
            if e.op == "-":
                self.emit("neg.i32" if t is I32 else "neg.f32", d, a)
            else:
                self.emit("not.i32" if e.op == "~" else "eqz.i32", d, a)
            return d
        if isinstance(e, N.Binary):
            return self.binary(e, dest)
        if isinstance(e, N.Call):
            return self.call(e, dest)
        raise AssertionError(e)

    def binary(self, e, dest):
        op = e.op
        operand_type = e.left.type
        if op in ("&&", "||"):
            d = self.target(dest, I32)
            false, end = self.label(), self.label()
            self.cond_false(e, false)
            self.emit("const.i32", d, 1)
            self.emit("jmp", end)
            self.bind(false)
            self.emit("const.i32", d, 0)
            self.bind(end)
            return d
        if op in CC:
            a = self.value(e.left)
            b = self.value(e.right)
            self.regs.done(a)
            self.regs.done(b)
            d = self.target(dest, I32)
            suffix = ".i32" if operand_type is I32 else ".f32"
            self.emit(CC[op] + suffix, d, a, b)
            return d
        return self.arith(op, operand_type, dest, None, e.left, e.right)

    def arith(self, op, t, dest, left_reg, left, right):
        """dest = left op right; `left_reg` stands for `left` when it is already in a register."""
        if t is I32 and op in ("+", "-", "*"):
            # The immediate forms: x + c, c + x, x - c, x * c, c * x.
            imm, other, other_reg = None, left, left_reg
            if right.value is not None:
                imm = right.value
            elif left is not None and left.value is not None and op != "-":
                imm, other, other_reg = left.value, right, None
            if imm is not None:
                a = other_reg if other_reg is not None else self.value(other)
                self.regs.done(a)
                d = self.target(dest, t)
                if op == "*":
                    self.emit("muli.i32", d, a, imm)
                else:
                    self.emit("addi.i32", d, a, imm if op == "+" else wrap32(-imm))
                return d
        a = left_reg if left_reg is not None else self.value(left)
        b = self.value(right)
        self.regs.done(a)
        self.regs.done(b)
        d = self.target(dest, t)
        self.emit(ARITH[op] + (".i32" if t is I32 else ".f32"), d, a, b)
        return d

    def call(self, e, dest):
        name = e.name
        t = e.type
        if name in ("i32", "f32"):
            arg = e.args[0]
            if arg.type is t:
                return self.expr(arg, dest)
            a = self.value(arg)
            self.regs.done(a)
            d = self.target(dest, t)
            self.emit("i32.from.f32" if t is I32 else "f32.from.i32", d, a)
            return d
        if name == "len":
            d = self.target(dest, I32)
            self.emit("len", d, self.var_regs[e.args[0].symbol])
            return d
        if name in ("to_bits", "from_bits"):
            a = self.value(e.args[0])
            self.regs.done(a)
            d = self.target(dest, t)
            self.emit("i32.bits.f32" if name == "to_bits" else "f32.bits.i32", d, a)
            return d
        if name == "pow":
            a = self.value(e.args[0])
            b = self.value(e.args[1])
            self.regs.done(a)
            self.regs.done(b)
            d = self.target(dest, t)
            self.emit("pow.f32", d, a, b)
            return d
        if name in ("sqrt", "exp", "abs", "sin", "cos", "log", "floor"):
            a = self.value(e.args[0])
            self.regs.done(a)
            d = self.target(dest, t)
            self.emit(name + (".i32" if t is I32 else ".f32"), d, a)
            return d
        if name in ("file_size", "read_file", "write_file"):
            return self.file_call(e, dest)
        if name in ("print_char", "print_i32", "print_f32"):
            a = self.value(e.args[0])
            self.regs.done(a)
            self.emit(name.replace("_", "."), a)
            return None
        if name in ("min", "max"):
            a = self.value(e.args[0])
            b = self.value(e.args[1])
            self.regs.done(a)
            self.regs.done(b)
            d = self.target(dest, t)
            self.emit(name + (".i32" if t is I32 else ".f32"), d, a, b)
            return d
        return self.user_call(e, dest)

    def file_call(self, e, dest):
        """file.size d, F; read.file d, F, v; write.file d, F, v: the view and the
        i32 arguments go to consecutive registers (IO_ARGS), evaluated left to right."""
        file_index = e.args[0].symbol.index
        if e.name == "file_size":
            d = self.target(dest, I32)
            self.emit("file.size", d, file_index)
            return d
        view = e.args[1]
        rest = e.args[2:]
        base = self.regs.alloc_block([view.type.code] + [I32.code] * len(rest))
        self.emit("mov", base, self.var_regs[view.symbol])
        for k, arg in enumerate(rest, 1):
            self.expr(arg, dest=base + k)
        for r in range(base, base + 1 + len(rest)):
            self.regs.done(r)
        d = self.target(dest, I32)
        self.emit("read.file" if e.name == "read_file" else "write.file", d, file_index, base)
        return d

    def user_call(self, e, dest):
        callee = e.symbol.node
        params = callee.params
        base = self.args_in_place(e.args)
        block = []
        if base is None:
            base = self.regs.alloc_block([p.type.code for p in params]) if params else 0
            block = list(range(base, base + len(params)))
            for k, arg in enumerate(e.args):
                if arg.type.is_view:
                    self.emit("mov", base + k, self.var_regs[arg.symbol])
                else:
                    self.expr(arg, dest=base + k)
        for r in block:
            self.regs.done(r)
        if callee.ret is VOID:
            self.emit("call", NO_RESULT, e.symbol.index, base)
            return None
        d = self.target(dest, callee.ret)
        self.emit("call", d, e.symbol.index, base)
        return d

    def args_in_place(self, args):
        """The first register when every argument already sits in consecutive registers."""
        if not args or not all(isinstance(a, N.Name) and a.value is None for a in args):
            return None
        regs = [self.var_regs[a.symbol] for a in args]
        if regs == list(range(regs[0], regs[0] + len(regs))):
            return regs[0]
        return None

    # --- conditions -------------------------------------------------------------------
    def cond_false(self, e, target):
        self.cond_jump(e, target, jump_if=False)

    def cond_jump(self, e, target, jump_if):
        """Jumps to `target` when e's truth equals `jump_if`, else falls through."""
        if e.value is not None:
            if (e.value != 0) == jump_if:
                self.emit("jmp", target)
            return
        if isinstance(e, N.Unary) and e.op == "!":
            self.cond_jump(e.operand, target, not jump_if)
            return
        if isinstance(e, N.Binary) and e.op in ("&&", "||"):
            # Jumping when the whole is false through && (or true through ||)
            # means jumping as soon as one side decides it.
            decides = (e.op == "||") == jump_if
            if decides:
                self.cond_jump(e.left, target, jump_if)
                self.cond_jump(e.right, target, jump_if)
            else:
                skip = self.label()
                self.cond_jump(e.left, skip, not jump_if)
                self.cond_jump(e.right, target, jump_if)
                self.bind(skip)
            return
        if isinstance(e, N.Binary) and e.op in CC and e.left.type is I32:
            op = e.op if jump_if else INVERSE[e.op]
            if op in ("==", "!=") and e.right.value == 0:
                a = self.value(e.left)
                self.regs.done(a)
                self.emit("jz" if op == "==" else "jnz", a, target)
                return
            a = self.value(e.left)
            b = self.value(e.right)
            self.regs.done(a)
            self.regs.done(b)
            self.emit("br." + CC[op] + ".i32", a, b, target)
            return
        r = self.value(e)
        self.regs.done(r)
        self.emit("jnz" if jump_if else "jz", r, target)


def wrap32(v):
    v &= 0xFFFFFFFF
    return v - (1 << 32) if v & 0x80000000 else v


def used_buffers(node, found=None):
    """The buffer symbols a function body refers to."""
    if found is None:
        found = set()
    if isinstance(node, list):
        for item in node:
            used_buffers(item, found)
    elif isinstance(node, N.Node):
        sym = node.__dict__.get("symbol")
        if isinstance(sym, Symbol) and sym.kind == "buf":
            found.add(sym)
        for key, child in node.__dict__.items():
            if key != "symbol" and isinstance(child, (list, N.Node)):
                used_buffers(child, found)
    return found


def generate(checker, ops):
    return [FunctionGen(fn, ops).generate() for fn in checker.functions]
