"""Flow parser: tokens to the syntax tree of nodes.py (recursive descent).

Binary operators use C's precedence and left associativity, lowest first:
|| , && , | , ^ , & , == != , < <= > >= , << >> , + - , * / % ; then the
unary operators - ! ~ and the postfix forms f(...) and a[i].
"""
from . import nodes as N
from .errors import CompileError, error_at
from .lexer import tokenize
from .spec import SPEC

MAX_FILE_PATH = SPEC.bfm["max_file_path"]

BINARY_LEVELS = [
    ("||",), ("&&",), ("|",), ("^",), ("&",), ("==", "!="),
    ("<", "<=", ">", ">="), ("<<", ">>"), ("+", "-"), ("*", "/", "%"),
]

INT32_MAX = 2**31 - 1


class Parser:
    def __init__(self, source):
        self.tokens = tokenize(source)
        self.pos = 0

    # --- token helpers ---------------------------------------------------------
    @property
    def tok(self):
        return self.tokens[self.pos]

    def peek(self, ahead=1):
        return self.tokens[min(self.pos + ahead, len(self.tokens) - 1)]

    def advance(self):
        t = self.tokens[self.pos]
        if t.kind != "eof":
            self.pos += 1
        return t

    def accept(self, kind):
        if self.tok.kind == kind:
            return self.advance()
        return None

    def expect(self, kind, what=None):
        if self.tok.kind != kind:
            raise error_at("expected", self.tok, what=what or f"'{kind}'",
                           found=self.tok.describe())
        return self.advance()

    def ident(self, what="a name"):
        return self.expect("ident", what)

    # --- items -----------------------------------------------------------------
    def parse_module(self):
        items = []
        while self.tok.kind != "eof":
            t = self.tok
            parse_item = {"fn": self.parse_function, "buf": self.parse_buf,
                          "const": self.parse_const, "file": self.parse_file}.get(t.kind)
            if parse_item is None:
                raise error_at("bad_item", t, found=t.describe())
            start = self.pos
            try:
                items.append(parse_item())
            except RecursionError:
                name = self.tokens[start + 1]
                raise error_at("too_deep", name, name=name.text)
        return N.Module(1, 1, items=items)

    def parse_function(self):
        start = self.expect("fn")
        name = self.ident("a function name")
        self.expect("(")
        params = []
        if self.tok.kind != ")":
            while True:
                pname = self.ident("a parameter name")
                self.expect(":")
                ptype = self.parse_type(allow_view=True)
                params.append(N.Param(pname.line, pname.col, name=pname.text, type=ptype))
                if not self.accept(","):
                    break
        self.expect(")", "',' or ')'")
        ret = N.VOID
        if self.accept("->"):
            ret = self.parse_type(allow_view=False)
        body = self.parse_block()
        return N.Function(start.line, start.col, name=name.text, name_tok=name,
                          params=params, ret=ret, body=body)

    def parse_buf(self):
        start = self.expect("buf")
        name = self.ident("a buffer name")
        self.expect(":")
        self.expect("[", "'[' (a buffer is declared as [T; N])")
        element = self.parse_scalar_type()
        self.expect(";", "';' (a buffer is declared as [T; N])")
        count_tok = self.expect("int", "the element count (an integer literal)")
        self.expect("]")
        self.expect(";")
        return N.BufItem(start.line, start.col, name=name.text, name_tok=name,
                         element=element, count=count_tok.value, count_tok=count_tok)

    def parse_file(self):
        start = self.expect("file")
        name = self.ident("a file item name")
        path = None
        if self.accept("="):
            path_tok = self.expect("string", "the file's default path (a string)")
            path = path_tok.value
            if not path.startswith("/") or len(path) > MAX_FILE_PATH:
                raise error_at("bad_path", path_tok)
        self.expect(";")
        return N.FileItem(start.line, start.col, name=name.text, name_tok=name, path=path)

    def parse_const(self):
        start = self.expect("const")
        name = self.ident("a constant name")
        self.expect(":")
        ctype = self.parse_type(allow_view=False)
        self.expect("=")
        expr = self.parse_expr()
        self.expect(";")
        return N.ConstItem(start.line, start.col, name=name.text, name_tok=name,
                           type=ctype, expr=expr)

    def parse_scalar_type(self):
        t = self.tok
        if t.kind == "i32":
            self.advance()
            return N.I32
        if t.kind == "f32":
            self.advance()
            return N.F32
        raise error_at("expected", t, what="a type (i32 or f32)", found=t.describe())

    def parse_type(self, allow_view):
        t = self.tok
        if t.kind == "[":
            self.advance()
            element = self.parse_scalar_type()
            self.expect("]")
            if not allow_view:
                raise error_at("view_type_here", t)
            return N.view_of(element)
        return self.parse_scalar_type()

    # --- statements --------------------------------------------------------------
    def parse_block(self):
        start = self.expect("{")
        stmts = []
        while self.tok.kind != "}":
            if self.tok.kind == "eof":
                raise error_at("expected", self.tok, what="'}'", found="end of file")
            stmts.append(self.parse_statement())
        self.advance()
        return N.Block(start.line, start.col, stmts=stmts)

    def parse_statement(self):
        t = self.tok
        k = t.kind
        if k == "var":
            self.advance()
            name = self.ident("a variable name")
            declared = None
            if self.accept(":"):
                declared = self.parse_type(allow_view=False)
            self.expect("=", "'=' (a variable needs an initial value)")
            expr = self.parse_expr()
            self.expect(";")
            return N.VarDecl(t.line, t.col, name=name.text, name_tok=name,
                             declared=declared, expr=expr)
        if k == "if":
            return self.parse_if()
        if k == "for":
            self.advance()
            var = self.ident("a loop variable name")
            self.expect("in")
            lo = self.parse_expr()
            self.expect("..", "'..'")
            hi = self.parse_expr()
            body = self.parse_block()
            return N.For(t.line, t.col, var=var.text, var_tok=var, lo=lo, hi=hi, body=body)
        if k == "while":
            self.advance()
            cond = self.parse_expr()
            body = self.parse_block()
            return N.While(t.line, t.col, cond=cond, body=body)
        if k == "return":
            self.advance()
            expr = None if self.tok.kind == ";" else self.parse_expr()
            self.expect(";")
            return N.Return(t.line, t.col, expr=expr)
        if k == "break":
            self.advance()
            self.expect(";")
            return N.Break(t.line, t.col)
        if k == "continue":
            self.advance()
            self.expect(";")
            return N.Continue(t.line, t.col)
        if k == "{":
            return self.parse_block()
        expr = self.parse_expr()
        op = self.tok
        if op.kind in ("=", "+=", "-=", "*="):
            if not isinstance(expr, (N.Name, N.Index)):
                raise error_at("bad_assign_target", expr)
            self.advance()
            value = self.parse_expr()
            self.expect(";")
            return N.Assign(expr.line, expr.col, target=expr, op=op.kind, expr=value)
        self.expect(";", "';'")
        if not isinstance(expr, N.Call):
            raise error_at("not_statement", t)
        return N.ExprStmt(expr.line, expr.col, expr=expr)

    def parse_if(self):
        t = self.expect("if")
        cond = self.parse_expr()
        then = self.parse_block()
        orelse = None
        if self.accept("else"):
            orelse = self.parse_if() if self.tok.kind == "if" else self.parse_block()
        return N.If(t.line, t.col, cond=cond, then=then, orelse=orelse)

    # --- expressions -------------------------------------------------------------
    def parse_expr(self, level=0):
        if level == len(BINARY_LEVELS):
            return self.parse_unary()
        left = self.parse_expr(level + 1)
        while self.tok.kind in BINARY_LEVELS[level]:
            op = self.advance()
            right = self.parse_expr(level + 1)
            left = N.Binary(op.line, op.col, op=op.kind, left=left, right=right)
        return left

    def parse_unary(self):
        t = self.tok
        if t.kind in ("-", "!", "~"):
            self.advance()
            # -2147483648 is the one literal past INT32_MAX: it exists only negated.
            # (Hex literals never get here: the lexer already made 0x80000000 negative.)
            if t.kind == "-" and self.tok.kind == "int" and self.tok.value == 2**31:
                self.advance()
                return N.IntLit(t.line, t.col, value=-(2**31))
            operand = self.parse_unary()
            return N.Unary(t.line, t.col, op=t.kind, operand=operand)
        return self.parse_postfix()

    def parse_postfix(self):
        expr = self.parse_primary()
        while self.tok.kind == "[":
            if not isinstance(expr, N.Name):
                raise error_at("expected", self.tok, what="';' or an operator", found="'['")
            self.advance()
            index = self.parse_expr()
            self.expect("]")
            expr = N.Index(expr.line, expr.col, array=expr, index=index)
        return expr

    def parse_primary(self):
        t = self.tok
        if t.kind == "int":
            self.advance()
            if t.value > INT32_MAX:
                raise error_at("int_too_large", t, text=t.text)
            return N.IntLit(t.line, t.col, value=t.value)
        if t.kind == "float":
            self.advance()
            return N.FloatLit(t.line, t.col, value=t.value)
        if t.kind in ("ident", "i32", "f32"):
            self.advance()
            if self.tok.kind == "(":
                self.advance()
                args = []
                if self.tok.kind != ")":
                    while True:
                        args.append(self.parse_expr())
                        if not self.accept(","):
                            break
                self.expect(")", "',' or ')'")
                return N.Call(t.line, t.col, name=t.text, args=args)
            if t.kind != "ident":
                raise error_at("expected", self.tok, what=f"'(' after '{t.text}'",
                               found=self.tok.describe())
            return N.Name(t.line, t.col, name=t.text)
        if t.kind == "(":
            self.advance()
            expr = self.parse_expr()
            self.expect(")")
            return expr
        raise error_at("expected", t, what="an expression", found=t.describe())


def parse(source):
    return Parser(source).parse_module()
