#!/usr/bin/env python3
"""flowgen: writes random, valid Flow programs for differential testing.

Every program type-checks and terminates: `for` bounds are masked to small
ranges, every `while` counts a fresh variable up to a literal limit, helpers
only call helpers declared before them, and the one recursive function is
bounded by the call-depth limit (deep calls trap TrapCallDepth, as intended).
Programs use loops, branches, break/continue, calls, buffers and views,
i32 and f32 arithmetic, every builtin, and operations that trap for some
run-time values: division and remainder, out-of-bounds indices, i32(x) of
NaN or of a huge value, deep recursion.

With --prints, some statements are followed by a print of a visible
variable (print_i32, print_f32, then a separator with print_char), chosen by
a second random stream, so the programs are the same as without prints
apart from those lines; the differential test compares what every tier prints.

Entry points are the functions named e0, e1, ...: they take only i32 and f32
parameters, so a test can call them with random scalars.

Programs also hold accumulation helpers, whole functions that are one loop
over views (a sum, a difference, a dot product, a max or a min), in every
spelling: `s += e` in a `for` loop (the one a JIT may regroup, under the float
reduction rule), the same in a `while` loop, `s = s + e`, `s = e + s`, and
max/min with the accumulator on either side. Entry points fill f32 buffers
with data on which the order shows: one huge value among ones, NaNs, and
zeros of both signs. The results of marked accumulations are stored only in
the buffer RED, which the differential test compares NaN-for-NaN; every other
value must be bit-identical at every tier.

    python3 tests/gen/flowgen.py --count 300 --seed 1 --out DIR [--compile] [--prints]

writes DIR/gNNNNN.flow (and, with --compile, DIR/gNNNNN.BFM compiled by the
flowc library in this process). Same seed, same programs.
"""
import argparse
import os
import random
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

I32_EDGES = ["0", "1", "-1", "2", "3", "7", "31", "32", "100", "255", "-2147483648", "2147483647",
             "0x7FFFFFFF", "0x80000000", "0xFFFF", "-100"]
F32_LITERALS = ["0.0", "1.0", "-1.0", "0.5", "2.0", "-0.25", "3.5", "100.0", "1e3", "2.5e-1",
                "1e30", "-1e30", "1e-30", "3.0e9", "0.1", "7.0", "-3.75", "65536.0"]
BUFFER_SIZES = [1, 4, 16, 64]


class Var:
    def __init__(self, name, type_, assignable):
        self.name = name
        self.type = type_
        self.assignable = assignable


class Function:
    def __init__(self, name, params, ret):
        self.name = name
        self.params = params  # list of (name, type)
        self.ret = ret        # "i32", "f32" or None


class Generator:
    def __init__(self, rng, print_rng=None):
        self.r = rng
        self.print_r = print_rng  # chooses the prints; None: no prints
        self.buffers = []     # (name, elem type, size)
        self.helpers = []     # Function, callable by later functions
        self.recursive = None
        self.names = 0
        self.fills = []       # f32 buffers that fill() may write
        self.accumulations = []  # the accumulation helpers, called after a fill
        self.nests = []          # accumulations inside loop nests, called after a fill

    # --- names and scopes -------------------------------------------------------------
    def fresh(self, prefix):
        self.names += 1
        return f"{prefix}{self.names}"

    def visible(self, scopes, type_=None, assignable=None):
        out = []
        for scope in scopes:
            for v in scope:
                if (type_ is None or v.type == type_) and (assignable is None or v.assignable == assignable):
                    out.append(v)
        return out

    # --- expressions ----------------------------------------------------------------------
    def literal(self, type_):
        if type_ == "i32":
            if self.r.random() < 0.5:
                return str(self.r.randint(-20, 20))
            return self.r.choice(I32_EDGES)
        return self.r.choice(F32_LITERALS)

    def variable(self, scopes, type_):
        vs = self.visible(scopes, type_)
        return self.r.choice(vs).name if vs else None

    def views(self, scopes, elem):
        names = [b[0] for b in self.buffers if b[1] == elem]
        names += [v.name for v in self.visible(scopes, f"[{elem}]")]
        return names

    def nonconstant(self, scopes, type_, depth):
        """An expression that mentions a variable, so flowc cannot fold it
        (a constant zero divisor or out-of-range conversion is a compile error)."""
        v = self.variable(scopes, type_)
        if v is None:
            return None
        e = self.expr(scopes, type_, depth)
        op = self.r.choice(["+", "-", "^"] if type_ == "i32" else ["+", "-", "*"])
        return f"({v} {op} {e})"

    def index(self, scopes, view, depth):
        e = self.expr(scopes, "i32", depth)
        if self.r.random() < 0.93:
            return f"({e}) & (len({view}) - 1)"  # sizes are powers of two: in range
        return e

    def call_expr(self, scopes, type_, depth):
        candidates = [f for f in self.helpers if f.ret == type_]
        if self.recursive and type_ == "i32" and self.r.random() < 0.3:
            candidates = [self.recursive]
        if not candidates:
            return None
        f = self.r.choice(candidates)
        args = self.arguments(scopes, f, depth)
        if args is None:
            return None
        return f"{f.name}({', '.join(args)})"

    def arguments(self, scopes, f, depth):
        args = []
        for i, (_, t) in enumerate(f.params):
            if t.startswith("["):
                vs = self.views(scopes, t[1:-1])
                if not vs:
                    return None
                args.append(self.r.choice(vs))
            elif f is self.recursive and i == 0:
                # Mostly shallow, sometimes past the 512-frame limit.
                mask = "1023" if self.r.random() < 0.15 else "31"
                args.append(f"({self.expr(scopes, 'i32', depth)}) & {mask}")
            else:
                args.append(self.expr(scopes, t, depth))
        return args

    def expr(self, scopes, type_, depth=0):
        r = self.r
        if depth >= 3 or r.random() < 0.25:
            v = self.variable(scopes, type_)
            if v and r.random() < 0.7:
                return v
            return self.literal(type_)
        d = depth + 1
        roll = r.random()
        if type_ == "i32":
            if roll < 0.30:
                op = r.choice(["+", "-", "*", "&", "|", "^", "<<", ">>", "+", "-"])
                return f"({self.expr(scopes, 'i32', d)} {op} {self.expr(scopes, 'i32', d)})"
            if roll < 0.40:
                if r.random() < 0.4:
                    # A literal divisor: tiers may turn powers of two into shifts.
                    divisor = r.choice(["2", "4", "8", "16", "1024", "3", "7", "-1", "-2", "-8", "1",
                                        "2147483647", "(-2147483648)"])
                    operand = self.nonconstant(scopes, "i32", d) or self.expr(scopes, "i32", d)
                    if self.variable(scopes, "i32"):
                        return f"({operand} {r.choice(['/', '%'])} {divisor})"
                divisor = self.nonconstant(scopes, "i32", d)
                if divisor:
                    return f"({self.expr(scopes, 'i32', d)} {r.choice(['/', '%'])} {divisor})"
            if roll < 0.50:
                t = r.choice(["i32", "f32"])
                op = r.choice(["==", "!=", "<", "<=", ">", ">="])
                return f"({self.expr(scopes, t, d)} {op} {self.expr(scopes, t, d)})"
            if roll < 0.56:
                return f"({self.expr(scopes, 'i32', d)} {r.choice(['&&', '||'])} {self.expr(scopes, 'i32', d)})"
            if roll < 0.62:
                return f"{r.choice(['-', '!', '~'])}{self.expr(scopes, 'i32', d)}"
            if roll < 0.68:
                fn = r.choice(["abs", "min", "max"])
                if fn == "abs":
                    return f"abs({self.expr(scopes, 'i32', d)})"
                return f"{fn}({self.expr(scopes, 'i32', d)}, {self.expr(scopes, 'i32', d)})"
            if roll < 0.74:
                operand = self.nonconstant(scopes, "f32", d)
                if operand:
                    # to_bits never traps; i32() traps on NaN and out-of-range values.
                    return f"to_bits({operand})" if r.random() < 0.25 else f"i32({operand})"
            if roll < 0.84:
                vs = self.views(scopes, "i32")
                if vs:
                    v = r.choice(vs)
                    return f"{v}[{self.index(scopes, v, d)}]"
            if roll < 0.88:
                vs = self.views(scopes, "i32") + self.views(scopes, "f32")
                if vs:
                    return f"len({r.choice(vs)})"
            if roll < 0.96:
                c = self.call_expr(scopes, "i32", d)
                if c:
                    return c
            return self.literal("i32")
        # f32
        if roll < 0.35:
            op = r.choice(["+", "-", "*", "/"])
            return f"({self.expr(scopes, 'f32', d)} {op} {self.expr(scopes, 'f32', d)})"
        if roll < 0.42:
            return f"-{self.expr(scopes, 'f32', d)}"
        if roll < 0.55:
            # microjit's own routines and floor: every tier must give their bits.
            fn = r.choice(["sqrt", "exp", "abs", "min", "max", "sin", "cos", "log", "pow", "floor"])
            if fn in ("min", "max", "pow"):
                return f"{fn}({self.expr(scopes, 'f32', d)}, {self.expr(scopes, 'f32', d)})"
            return f"{fn}({self.expr(scopes, 'f32', d)})"
        if roll < 0.62:
            return f"f32({self.expr(scopes, 'i32', d)})"
        if roll < 0.65:
            return f"from_bits({self.expr(scopes, 'i32', d)})"
        if roll < 0.80:
            vs = self.views(scopes, "f32")
            if vs:
                v = r.choice(vs)
                return f"{v}[{self.index(scopes, v, d)}]"
        if roll < 0.90:
            c = self.call_expr(scopes, "f32", d)
            if c:
                return c
        return self.literal("f32")

    # --- statements ------------------------------------------------------------------------------
    def block(self, scopes, indent, loop_depth, in_loop, budget):
        lines = []
        scope = []
        scopes = scopes + [scope]
        for _ in range(self.r.randint(1, budget)):
            lines += self.statement(scopes, scope, indent, loop_depth, in_loop)
            lines += self.maybe_print(scopes, indent)
        return lines

    def maybe_print(self, scopes, indent):
        """Now and then, a print of a visible variable (from print_r only)."""
        if self.print_r is None or self.print_r.random() >= 0.02:
            return []
        vs = [v for v in self.visible(scopes) if v.type in ("i32", "f32")]
        if not vs:
            return []
        v = self.print_r.choice(vs)
        separator = self.print_r.choice(["32", "10", "59"])
        return [f"{'    ' * indent}print_{v.type}({v.name}); print_char({separator});"]

    def statement(self, scopes, scope, indent, loop_depth, in_loop):
        r = self.r
        pad = "    " * indent
        if self.fills and r.random() < 0.08:
            return self.fill(pad)
        roll = r.random()
        if roll < 0.22:
            t = r.choice(["i32", "f32"])
            name = self.fresh("v")
            line = f"{pad}var {name}: {t} = {self.expr(scopes, t)};"
            scope.append(Var(name, t, True))
            return [line]
        if roll < 0.42:
            targets = self.visible(scopes, assignable=True)
            if targets:
                v = r.choice(targets)
                op = r.choice(["=", "=", "+=", "-=", "*="])
                return [f"{pad}{v.name} {op} {self.expr(scopes, v.type)};"]
        if roll < 0.54:
            elem = r.choice(["i32", "f32"])
            vs = self.views(scopes, elem)
            if vs:
                v = r.choice(vs)
                op = r.choice(["=", "=", "+=", "-=", "*="])
                return [f"{pad}{v}[{self.index(scopes, v, 1)}] {op} {self.expr(scopes, elem)};"]
        if roll < 0.68 and indent < 5:
            lines = [f"{pad}if {self.expr(scopes, 'i32')} {{"]
            lines += self.block(scopes, indent + 1, loop_depth, in_loop, 3)
            if r.random() < 0.5:
                lines.append(f"{pad}}} else {{")
                lines += self.block(scopes, indent + 1, loop_depth, in_loop, 3)
            lines.append(f"{pad}}}")
            return lines
        if roll < 0.78 and loop_depth > 0:
            i = self.fresh("k")
            lo = r.choice(["0", "1", "-3", f"({self.expr(scopes, 'i32', 2)}) & 7"])
            hi = r.choice(["4", "10", "16", f"({self.expr(scopes, 'i32', 2)}) & 15"])
            lines = [f"{pad}for {i} in {lo}..{hi} {{"]
            inner = scopes + [[Var(i, "i32", False)]]
            lines += self.block(inner, indent + 1, loop_depth - 1, True, 3)
            lines.append(f"{pad}}}")
            return lines
        if roll < 0.84 and loop_depth > 0:
            w = self.fresh("w")
            limit = r.randint(1, 12)
            lines = [f"{pad}var {w}: i32 = 0;",
                     f"{pad}while {w} < {limit} && {self.expr(scopes, 'i32', 2)} != 12345 {{",
                     f"{pad}    {w} += 1;"]
            # The counter is not assignable inside, so the loop always ends.
            scope.append(Var(w, "i32", False))
            lines += self.block(scopes, indent + 1, loop_depth - 1, True, 3)
            lines.append(f"{pad}}}")
            return lines
        if roll < 0.88 and in_loop:
            return [f"{pad}if {self.expr(scopes, 'i32', 2)} {{ {r.choice(['break', 'continue'])}; }}"]
        if roll < 0.94:
            voids = [f for f in self.helpers if f.ret is None]
            if voids:
                f = r.choice(voids)
                args = self.arguments(scopes, f, 1)
                if args is not None:
                    return [f"{pad}{f.name}({', '.join(args)});"]
        if roll < 0.97 and self.current_ret is not None:
            return [f"{pad}if {self.expr(scopes, 'i32', 2)} {{ return {self.expr(scopes, self.current_ret, 2)}; }}"]
        t = r.choice(["i32", "f32"])
        name = self.fresh("v")
        line = f"{pad}var {name}: {t} = {self.expr(scopes, t)};"
        scope.append(Var(name, t, True))
        return [line]

    # --- accumulations, and data on which their order shows -------------------------------
    SPELLINGS = [
        ("for", "s += {e};"), ("for", "s -= {e};"), ("for", "s = s + {e};"), ("for", "s = {e} + s;"),
        ("for", "s = s - {e};"), ("while", "s += {e};"), ("while", "s = {e} + s;"),
        ("for", "s = max(s, {e});"), ("for", "s = max({e}, s);"), ("for", "s = min({e}, s);"),
        ("while", "s = min(s, {e});"),
    ]

    def accumulation_helper(self):
        r = self.r
        dot = r.random() < 0.4
        loop, statement = r.choice(self.SPELLINGS)
        term = "x[i] * y[i]" if dot else "x[i]"
        init = r.choice(["0.0", "x[0]", "-0.0", "1.0"])
        f = Function(self.fresh("acc"), [("x", "[f32]"), ("y", "[f32]"), ("n", "i32")], "f32")
        f.marked = loop == "for" and statement.startswith(("s +=", "s -="))
        end = r.choice(["len(x)", "len(x)", "n"])
        lines = [f"fn {f.name}(x: [f32], y: [f32], n: i32) -> f32 {{", f"    var s: f32 = {init};"]
        body = statement.format(e=term)
        if loop == "for":
            lines.append(f"    for i in 0..{end} {{ {body} }}")
        else:
            lines += ["    var i: i32 = 0;", f"    while i < {end} {{ {body} i += 1; }}"]
        lines += ["    return s;", "}"]
        return f, lines

    # Accumulations inside loop nests: a row loop around an inner loop whose
    # body accumulates an expression over unit-stride elements (what a
    # matrix-vector product, a distance or an attention score is), in every
    # spelling, with one or two accumulators. Only marked ones may be
    # regrouped (their results go to RED); the rest must stay exact.
    NEST_TERMS = [
        "x[{o} + j] * y[j]", "x[j + {o}] * y[j]", "y[j] * x[{o} + j]", "x[{o} + j]",
        "(x[{o} + j] - y[j]) * (x[{o} + j] - y[j])", "x[{o} + j] * k", "k * x[{o} + j] + y[j]",
        "min(x[{o} + j], y[j])", "max(y[j], x[{o} + j])", "x[{o} + j] / y[j]", "sqrt(x[{o} + j])",
        "x[{o} + j + 1] * y[j]", "x[{o} + j] * x[{o} + j] - y[j + 1]",
    ]
    NEST_SPELLINGS = ["s += {e};", "s -= {e};", "s += {e};", "s = s + {e};", "s = {e} + s;"]

    def nest_helper(self):
        r = self.r
        f = Function(self.fresh("nest"), [("x", "[f32]"), ("y", "[f32]"), ("rows", "i32"), ("n", "i32"), ("k", "f32")], None)
        statement = r.choice(self.NEST_SPELLINGS)
        two = r.random() < 0.3
        f.marked = statement.startswith(("s +=", "s -="))
        offset = r.choice(["i * n", "row", "i * n + 2", "base + i * n"])
        out = "RED" if f.marked else "NOUT"
        init = r.choice(["0.0", "-0.0", "1.0", "k"])
        lines = [f"fn {f.name}(x: [f32], y: [f32], rows: i32, n: i32, k: f32) {{",
                 "    var base: i32 = rows & 1;"]
        loop_head = "    for i in 0..rows {"
        lines += [loop_head, "        var row: i32 = i * n;", f"        var s: f32 = {init};"]
        if two:
            lines.append("        var t: f32 = 0.0;")
        lines.append("        for j in 0..n {")
        e = r.choice(self.NEST_TERMS).format(o=offset)
        lines.append("            " + statement.format(e=e))
        if two:
            e2 = r.choice(self.NEST_TERMS).format(o=offset)
            lines.append("            " + statement.replace("s", "t").format(e=e2))
        lines.append("        }")
        lines.append(f"        {out}[i & 7] = s;")
        if two:
            lines.append(f"        {out}[(i + 1) & 7] = t;")
        lines += ["    }", "}"]
        return f, lines

    def fill(self, pad):
        """Fills an f32 buffer with values on which the order of an
        accumulation shows."""
        r = self.r
        name, _, size = r.choice(self.fills)
        base = r.choice(["1.0", "0.5", "-1.0", "3.0"])
        lines = [f"{pad}for q in 0..{size} {{ {name}[q] = {base}; }}"]
        for _ in range(r.randint(1, 3)):
            at = r.randrange(size)
            value = r.choice(["16777216.0", "-16777216.0", "1e30", "0.0 / 0.0", "0.0", "-0.0", "33554432.0"])
            lines.append(f"{pad}{name}[{at}] = {value};")
        # Accumulate it at once, into a buffer, which every tier must leave
        # with the same bits.
        # A marked accumulation may be regrouped, so its result goes to RED,
        # where the differential test demands only NaN-for-NaN.
        if self.accumulations:
            f = r.choice(self.accumulations)
            other = r.choice(self.fills)[0]
            out, _, out_size = ("RED", "f32", 8) if f.marked else r.choice(self.fills)
            n = r.choice([str(size), str(r.randint(0, size)), str(size + 1)])
            lines.append(f"{pad}{out}[{r.randrange(out_size)}] = {f.name}({name}, {r.choice([name, other])}, {n});")
        if self.nests:
            f = r.choice(self.nests)
            for buf in ("NX", "NY"):
                lines.append(f"{pad}for q in 0..300 {{ {buf}[q] = {r.choice(['1.0', '0.5', '-1.0', '3.0'])}; }}")
                for _ in range(r.randint(0, 2)):
                    value = r.choice(["16777216.0", "-16777216.0", "1e30", "0.0 / 0.0", "0.0", "-0.0", "1e-40", "-1e-40"])
                    lines.append(f"{pad}{buf}[{r.randrange(300)}] = {value};")
            n = r.choice(["0", "1", "7", "8", "9", "16", "17", "31", "32", "33", "48", "64", "100", "149", "150", "151"])
            rows = r.choice(["0", "1", "2", "3", "6"])
            lines.append(f"{pad}{f.name}({r.choice(['NX', 'NY'])}, {r.choice(['NY', 'NX'])}, {rows}, {n}, {r.choice(['1.5', '-0.0', '2.0'])});")
        return lines

    def function(self, f, loop_depth, budget):
        self.current_ret = f.ret
        params = [Var(n, t, not t.startswith("[")) for n, t in f.params]
        sig = ", ".join(f"{n}: {t}" for n, t in f.params)
        head = f"fn {f.name}({sig})" + (f" -> {f.ret}" if f.ret else "") + " {"
        lines = [head]
        body_scopes = [params]
        lines += self.block(body_scopes, 1, loop_depth, False, budget)
        if f.ret:
            lines.append(f"    return {self.expr(body_scopes + [[]], f.ret)};")
        lines.append("}")
        return lines

    def recursive_function(self):
        f = Function(self.fresh("rec"), [("n", "i32"), ("x", "i32")], "i32")
        self.current_ret = "i32"
        scopes = [[Var("n", "i32", True), Var("x", "i32", True)]]
        lines = [f"fn {f.name}(n: i32, x: i32) -> i32 {{",
                 "    if n <= 0 {",
                 "        return x;",
                 "    }"]
        saved, self.recursive = self.recursive, None  # no nested recursion in its body
        lines += self.block(scopes, 1, 0, False, 2)
        self.recursive = saved
        lines.append(f"    return {f.name}(n - 1, {self.expr(scopes, 'i32', 2)}) + {self.expr(scopes, 'i32', 2)};")
        lines.append("}")
        return f, lines

    def program(self):
        r = self.r
        out = [f"// generated by tests/gen/flowgen.py"]
        for elem in ("i32", "f32"):
            for _ in range(r.randint(1, 2)):
                name = self.fresh("B" if elem == "i32" else "F")
                size = r.choice(BUFFER_SIZES)
                self.buffers.append((name, elem, size))
                out.append(f"buf {name}: [{elem}; {size}];")
        self.fills = [b for b in self.buffers if b[1] == "f32"]
        if r.random() < 0.5:
            f, lines = self.recursive_function()
            self.recursive = f
            out += lines
        for _ in range(r.randint(0, 2)):
            f, lines = self.accumulation_helper()
            out += lines
            self.accumulations.append(f)
            if not f.marked:
                self.helpers.append(f)  # any expression may call it: its result is exact
        for _ in range(r.randint(0, 2)):
            f, lines = self.nest_helper()
            out += lines
            self.nests.append(f)
        if self.nests:
            out += ["buf NX: [f32; 300];", "buf NY: [f32; 300];", "buf NOUT: [f32; 8];"]
        if any(f.marked for f in self.accumulations + self.nests):
            out.append("buf RED: [f32; 8];")
        for _ in range(r.randint(0, 3)):
            params = []
            for _ in range(r.randint(0, 4)):
                params.append((self.fresh("p"), r.choice(["i32", "f32", "i32", "f32", "[i32]", "[f32]"])))
            f = Function(self.fresh("h"), params, r.choice(["i32", "f32", None]))
            out += self.function(f, 1, 4)
            self.helpers.append(f)
        for k in range(r.randint(1, 3)):
            params = [(self.fresh("a"), r.choice(["i32", "f32"])) for _ in range(r.randint(0, 3))]
            f = Function(f"e{k}", params, r.choice(["i32", "f32", None]))
            out += self.function(f, 2, 6)
        return "\n".join(out) + "\n"


def generate(seed, index, prints=False):
    print_rng = random.Random(f"print:{seed}:{index}") if prints else None
    return Generator(random.Random(f"{seed}:{index}"), print_rng).program()


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--count", type=int, default=300)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--out", required=True)
    ap.add_argument("--compile", action="store_true", help="also write NAME.BFM with the flowc library")
    ap.add_argument("--prints", action="store_true",
                    help="add print statements (for tests that compare what every tier prints; tier 2 leaves "
                         "functions that print at tier 1, so its IR tests do without)")
    args = ap.parse_args(argv)
    os.makedirs(args.out, exist_ok=True)
    compile_source = ops = None
    if args.compile:
        sys.path.insert(0, os.path.join(ROOT, "tools"))
        from flow import opcodes
        from flow.compiler import compile_source
        from flow.errors import CompileError
        ops = opcodes.load(None)
    failures = 0
    for i in range(args.count):
        name = f"G{i:05d}"
        source = generate(args.seed, i, args.prints)
        path = os.path.join(args.out, name + ".flow")
        with open(path, "w") as f:
            f.write(source)
        if compile_source:
            try:
                _, data = compile_source(source, name, ops)
            except CompileError as exc:
                print(exc.render(path, source), file=sys.stderr)
                failures += 1
                continue
            with open(os.path.join(args.out, name + ".BFM"), "wb") as f:
                f.write(data)
    if failures:
        print(f"flowgen: {failures} of {args.count} programs did not compile", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
