"""Name resolution, type checking and constant folding.

The checker walks the tree once, gives every name a Symbol, every expression
a `type`, and every expression whose value is known at compile time a `value`
(folded with fold.py, so it matches the run-time result bit for bit). It also
records, per Block, the locals it declares, so codegen can free their
registers when the block ends.

Rules the issue leaves open (docs/flow-language.md documents them):
  * a local (var, parameter or loop variable) may not reuse a name that is
    visible at that point, including module items; sibling blocks may reuse names;
  * `var` always has an initialiser; its type may be omitted and is then the
    initialiser's;
  * `%`, bitwise operators and shifts are i32 only; && || ! take and give i32;
  * parameters are assignable locals, a for loop variable is not.
"""
from . import fold
from . import nodes as N
from .errors import CompileError, error_at
from .nodes import I32, F32, VOID
from .spec import SPEC

IO_BUILTINS = {"file_size", "read_file", "write_file", "print_char", "print_i32", "print_f32"}
BUILTINS = {"len", "sqrt", "abs", "min", "max", "exp", "sin", "cos", "log", "pow", "floor", "to_bits",
            "from_bits"} | IO_BUILTINS
# A file item's symbol type: not a value, only an argument of the file builtins.
FILE_TYPE = N.Type(-1, "file")
MAX_NAME = SPEC.bfm["max_identifier"]
MAX_BUF_COUNT = SPEC.bfm["max_buffer_elements"]


class Symbol:
    def __init__(self, kind, name, type, node, value=None, index=None):
        self.kind = kind      # param, local, loopvar, const, buf, fn
        self.name = name
        self.type = type
        self.node = node
        self.value = value    # consts: the folded value
        self.index = index    # fn and buf: table index; param: position

    def __repr__(self):
        return f"Symbol({self.kind} {self.name}: {self.type})"


KIND_WORDS = {"param": "parameter", "local": "variable", "loopvar": "loop variable",
              "const": "constant", "buf": "buffer", "fn": "function", "file": "file item"}


class Checker:
    def __init__(self, module):
        self.module = module
        self.globals = {}
        self.functions = []
        self.bufs = []
        self.consts = []
        self.files = []
        self.resolving = set()

    # --- module level ---------------------------------------------------------
    def check(self):
        for item in self.module.items:
            name, tok = item.name, item.name_tok
            if name in BUILTINS:
                raise error_at("builtin_name", tok, name=name)
            if len(name) > MAX_NAME:
                raise error_at("name_too_long", tok, name=name)
            if name in self.globals:
                raise error_at("duplicate_item", tok, name=name, previous=self.globals[name].node.line)
            if isinstance(item, N.Function):
                sym = Symbol("fn", name, item.ret, item, index=len(self.functions))
                self.functions.append(item)
            elif isinstance(item, N.BufItem):
                if not 1 <= item.count <= MAX_BUF_COUNT:
                    raise error_at("buf_count", item.count_tok, name=name)
                sym = Symbol("buf", name, N.view_of(item.element), item, index=len(self.bufs))
                self.bufs.append(item)
            elif isinstance(item, N.FileItem):
                sym = Symbol("file", name, FILE_TYPE, item, index=len(self.files))
                self.files.append(item)
            else:
                sym = Symbol("const", name, item.type, item)
                self.consts.append(item)
            item.symbol = sym
            self.globals[name] = sym
        for item in self.consts:
            self.guarded(self.resolve_const, item.symbol, item)
        for fn in self.functions:
            self.guarded(self.check_function, fn, fn)

    def guarded(self, step, arg, item):
        try:
            step(arg)
        except RecursionError:
            raise error_at("too_deep", item.name_tok, name=item.name)

    def resolve_const(self, sym):
        if sym.value is not None:
            return
        item = sym.node
        if sym.name in self.resolving:
            raise error_at("const_cycle", item.name_tok, name=sym.name)
        self.resolving.add(sym.name)
        saved = getattr(self, "scopes", None), getattr(self, "fn", None)
        self.scopes, self.fn = [], None
        t = self.expr(item.expr)
        self.scopes, self.fn = saved
        self.resolving.discard(sym.name)
        if t is not sym.type:
            raise error_at("expected_type", item.expr, expected=sym.type, found=t)
        if item.expr.value is None:
            if only_constants(item.expr):
                # Every operand is known, so the value is NaN or comes from exp(),
                # which flowc leaves to run time (docs/flow-language.md, section 7).
                raise error_at("const_unfoldable", item.expr, name=sym.name)
            raise error_at("const_not_constant", item.expr, name=sym.name)
        sym.value = item.expr.value

    # --- functions and scopes -----------------------------------------------------
    def check_function(self, fn):
        self.fn = fn
        self.scopes = [{}]
        self.loop_depth = 0
        fn.param_symbols = []
        for i, p in enumerate(fn.params):
            sym = self.declare("param", p.name, p.type, p)
            sym.index = i
            fn.param_symbols.append(sym)
        self.block(fn.body)

    def declare(self, kind, name, type, node):
        tok = getattr(node, "name_tok", None) or getattr(node, "var_tok", None) or node
        for scope in self.scopes:
            if name in scope:
                raise error_at("shadow", tok, name=name, previous=scope[name].node.line)
        if name in self.globals:
            raise error_at("shadow", tok, name=name, previous=self.globals[name].node.line)
        if name in BUILTINS:
            raise error_at("builtin_name", tok, name=name)
        sym = Symbol(kind, name, type, node)
        self.scopes[-1][name] = sym
        return sym

    def lookup(self, name):
        for scope in reversed(self.scopes):
            if name in scope:
                return scope[name]
        return self.globals.get(name)

    # --- statements -----------------------------------------------------------------
    def block(self, block):
        self.scopes.append({})
        for stmt in block.stmts:
            self.stmt(stmt)
        block.declared = list(self.scopes.pop().values())

    def stmt(self, s):
        if isinstance(s, N.Block):
            self.block(s)
        elif isinstance(s, N.VarDecl):
            t = self.value_expr(s.expr)
            if s.declared is not None and t is not s.declared:
                raise error_at("expected_type", s.expr, expected=s.declared, found=t)
            s.symbol = self.declare("local", s.name, t, s)
        elif isinstance(s, N.Assign):
            self.assign(s)
        elif isinstance(s, N.If):
            self.condition(s.cond)
            self.block(s.then)
            if isinstance(s.orelse, N.If):
                self.stmt(s.orelse)
            elif s.orelse is not None:
                self.block(s.orelse)
        elif isinstance(s, N.While):
            self.condition(s.cond)
            self.loop_body(s.body)
        elif isinstance(s, N.For):
            for bound in (s.lo, s.hi):
                t = self.value_expr(bound)
                if t is not I32:
                    raise error_at("expected_type", bound, expected=I32, found=t)
            self.scopes.append({})
            s.symbol = self.declare("loopvar", s.var, I32, s)
            self.loop_body(s.body)
            self.scopes.pop()
        elif isinstance(s, N.Return):
            ret = self.fn.ret
            if s.expr is None:
                if ret is not VOID:
                    raise error_at("return_missing_value", s, name=self.fn.name, type=ret)
            else:
                if ret is VOID:
                    raise error_at("return_value_void", s.expr, name=self.fn.name)
                t = self.value_expr(s.expr)
                if t is not ret:
                    raise error_at("expected_type", s.expr, expected=ret, found=t)
        elif isinstance(s, (N.Break, N.Continue)):
            if self.loop_depth == 0:
                raise error_at("break_outside", s,
                               word="break" if isinstance(s, N.Break) else "continue")
        elif isinstance(s, N.ExprStmt):
            self.expr(s.expr, allow_void=True)
        else:
            raise AssertionError(s)

    def loop_body(self, body):
        self.loop_depth += 1
        self.block(body)
        self.loop_depth -= 1

    def condition(self, e):
        t = self.value_expr(e)
        if t is not I32:
            raise error_at("cond_type", e, type=t)

    def assign(self, s):
        target = s.target
        if isinstance(target, N.Name):
            sym = self.lookup(target.name)
            if sym is None:
                raise error_at("undefined", target, name=target.name)
            if sym.kind == "loopvar":
                raise error_at("loop_var_assign", target, name=target.name)
            if sym.kind not in ("param", "local") or sym.type.is_view:
                kind = "array parameter" if sym.kind == "param" else KIND_WORDS[sym.kind]
                raise error_at("assign_const", target, kind=kind, name=target.name)
            target.symbol = sym
            target.type = sym.type
            target.value = None
            ttype = sym.type
        else:
            ttype = self.expr(target)
        t = self.value_expr(s.expr)
        if t is not ttype:
            raise error_at("expected_type", s.expr, expected=ttype, found=t)

    # --- expressions ------------------------------------------------------------------
    def value_expr(self, e):
        return self.expr(e)

    def expr(self, e, allow_void=False):
        if not isinstance(e, (N.IntLit, N.FloatLit)):
            e.value = None    # literals carry their value from the parser
        t = self._expr(e, allow_void)
        e.type = t
        return t

    def _expr(self, e, allow_void):
        if isinstance(e, N.IntLit):
            return I32
        if isinstance(e, N.FloatLit):
            return F32
        if isinstance(e, N.Name):
            return self.name(e)
        if isinstance(e, N.Index):
            return self.index(e)
        if isinstance(e, N.Unary):
            return self.unary(e)
        if isinstance(e, N.Binary):
            return self.binary(e)
        if isinstance(e, N.Call):
            return self.call(e, allow_void)
        raise AssertionError(e)

    def name(self, e):
        sym = self.lookup(e.name)
        if sym is None:
            raise error_at("undefined", e, name=e.name)
        e.symbol = sym
        if sym.kind == "fn":
            raise error_at("not_a_value", e, name=e.name, kind="function")
        if sym.kind == "file":
            raise error_at("file_value", e, name=e.name)
        if sym.type.is_view:
            raise error_at("view_value", e, name=e.name)
        if sym.kind == "const":
            self.resolve_const(sym)
            e.value = sym.value
        return sym.type

    def array(self, e):
        """Resolves a Name used as an array (index, len, argument); returns its view type."""
        sym = self.lookup(e.name) if isinstance(e, N.Name) else None
        if sym is None and isinstance(e, N.Name):
            raise error_at("undefined", e, name=e.name)
        if sym is None or not sym.type.is_view:
            raise error_at("not_indexable", e, name=getattr(e, "name", "expression"))
        e.symbol = sym
        e.type = sym.type
        e.value = None
        return sym.type

    def index(self, e):
        view = self.array(e.array)
        t = self.value_expr(e.index)
        if t is not I32:
            raise error_at("expected_type", e.index, expected=I32, found=t)
        return view.element

    def unary(self, e):
        t = self.value_expr(e.operand)
        if e.op == "-" and t in (I32, F32) or e.op in ("!", "~") and t is I32:
            e.value = self.fold_unary(e, e.op, t, e.operand.value)
            return t
        raise error_at("bad_operand", e, op=e.op, type=t)

    def binary(self, e):
        op = e.op
        lt = self.value_expr(e.left)
        rt = self.value_expr(e.right)
        if lt is not rt:
            raise error_at("type_mismatch", e, op=op, left=lt, right=rt)
        if op in ("+", "-", "*", "/") or op in fold.COMPARE:
            pass
        elif lt is not I32:  # % & | ^ << >> && ||
            raise error_at("bad_operand", e, op=op, type=lt)
        a, b = e.left.value, e.right.value
        result_type = I32 if op in fold.COMPARE or op in ("&&", "||") else lt
        if op in ("/", "%") and lt is I32 and b == 0:
            raise error_at("const_div_zero", e)
        # Short-circuit: the right side is not evaluated, so its value does not matter.
        if op == "&&" and a == 0:
            e.value = 0
        elif op == "||" and a is not None and a != 0:
            e.value = 1
        elif a is not None and b is not None:
            try:
                e.value = fold.binary(op, lt, a, b)
            except fold.FoldTrap as trap:
                raise error_at(trap.key, e, **trap.fields)
        return result_type

    def fold_unary(self, e, op, t, a):
        if a is None:
            return None
        try:
            return fold.unary(op, t, a)
        except fold.FoldTrap as trap:
            raise error_at(trap.key, e, **trap.fields)

    def call(self, e, allow_void):
        name = e.name
        if name in ("i32", "f32"):
            self.arity(e, 1)
            t = self.value_expr(e.args[0])
            if t not in (I32, F32):
                raise error_at("bad_operand", e, op=name, type=t)
            result = I32 if name == "i32" else F32
            e.value = self.fold_unary(e, name, t, e.args[0].value)
            return result
        if name == "len":
            self.arity(e, 1)
            self.array(e.args[0])
            return I32
        if name in ("to_bits", "from_bits"):
            # The IEEE bit pattern of an f32 as an i32, and back.
            self.arity(e, 1)
            t = self.value_expr(e.args[0])
            want, result = (F32, I32) if name == "to_bits" else (I32, F32)
            if t is not want:
                raise error_at("expected_type", e.args[0], expected=want, found=t)
            e.value = self.fold_unary(e, name, t, e.args[0].value)
            return result
        if name == "pow":
            self.arity(e, 2)
            for arg in e.args:
                t = self.value_expr(arg)
                if t is not F32:
                    raise error_at("expected_type", arg, expected=F32, found=t)
            # Left to run time, like exp: microjit computes it with its own routine.
            return F32
        if name in ("sqrt", "exp", "sin", "cos", "log", "floor"):
            self.arity(e, 1)
            t = self.value_expr(e.args[0])
            if t is not F32:
                raise error_at("expected_type", e.args[0], expected=F32, found=t)
            e.value = self.fold_unary(e, name, t, e.args[0].value)
            return F32
        if name == "abs":
            self.arity(e, 1)
            t = self.value_expr(e.args[0])
            e.value = self.fold_unary(e, name, t, e.args[0].value)
            return t
        if name in IO_BUILTINS:
            return self.io_call(e, allow_void)
        if name in ("min", "max"):
            self.arity(e, 2)
            lt = self.value_expr(e.args[0])
            rt = self.value_expr(e.args[1])
            if lt is not rt:
                raise error_at("type_mismatch", e, op=name, left=lt, right=rt)
            a, b = e.args[0].value, e.args[1].value
            if a is not None and b is not None:
                e.value = fold.binary(name, lt, a, b)
            return lt
        sym = self.lookup(name)
        if sym is None:
            raise error_at("undefined_fn", e, name=name)
        if sym.kind != "fn":
            raise error_at("not_a_function", e, name=name, kind=KIND_WORDS[sym.kind])
        fn = sym.node
        e.symbol = sym
        self.arity(e, len(fn.params))
        for i, (arg, param) in enumerate(zip(e.args, fn.params), 1):
            if param.type.is_view:
                if not isinstance(arg, N.Name) or self.lookup(arg.name) is None \
                        or self.lookup(arg.name).type is not param.type:
                    raise error_at("view_arg", arg, index=i, name=name, expected=param.type)
                self.array(arg)
            else:
                t = self.value_expr(arg)
                if t is not param.type:
                    raise error_at("expected_type", arg, expected=param.type, found=t)
        if fn.ret is VOID and not allow_void:
            raise error_at("void_value", e, name=name)
        return fn.ret

    def io_call(self, e, allow_void):
        """file_size(F), read_file(F, v, at, offset, count), write_file(F, v, at, count),
        print_char(c), print_i32(x), print_f32(x): never folded (they reach the host)."""
        name = e.name
        if name in ("print_char", "print_i32", "print_f32"):
            self.arity(e, 1)
            want = F32 if name == "print_f32" else I32
            t = self.value_expr(e.args[0])
            if t is not want:
                raise error_at("expected_type", e.args[0], expected=want, found=t)
            if not allow_void:
                raise error_at("void_value", e, name=name)
            return VOID
        self.arity(e, {"file_size": 1, "read_file": 5, "write_file": 4}[name])
        f = e.args[0]
        sym = self.lookup(f.name) if isinstance(f, N.Name) else None
        if sym is None or sym.kind != "file":
            found = KIND_WORDS[sym.kind] + f" '{f.name}'" if sym is not None else \
                (f"undefined name '{f.name}'" if isinstance(f, N.Name) else "an expression")
            raise error_at("not_a_file", f, name=name, found=found)
        f.symbol = sym
        f.type = FILE_TYPE
        f.value = None
        if len(e.args) > 1:
            self.array(e.args[1])
        for arg in e.args[2:]:
            t = self.value_expr(arg)
            if t is not I32:
                raise error_at("expected_type", arg, expected=I32, found=t)
        return I32

    def arity(self, e, expected):
        if len(e.args) != expected:
            raise error_at("arg_count", e, name=e.name, expected=expected, found=len(e.args))


def only_constants(e):
    """True when e uses nothing but literals, constants, operators and builtins."""
    if isinstance(e, (N.IntLit, N.FloatLit)):
        return True
    if isinstance(e, N.Name):
        return getattr(e, "symbol", None) is not None and e.symbol.kind == "const"
    if isinstance(e, N.Unary):
        return only_constants(e.operand)
    if isinstance(e, N.Binary):
        return only_constants(e.left) and only_constants(e.right)
    if isinstance(e, N.Call):
        return e.name in (BUILTINS - IO_BUILTINS) | {"i32", "f32"} and e.name != "len" \
            and all(only_constants(a) for a in e.args)
    return False


def check(module):
    checker = Checker(module)
    checker.check()
    return checker
