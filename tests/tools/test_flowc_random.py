"""flowc: randomized differential tests of code generation.

Random i32/f32 expressions and statement sequences (fixed seeds, so runs are
repeatable) are rendered as Flow, compiled, re-checked against the verifier
rules, run by the reference evaluator from the .bfm bytes, and compared with a
direct evaluation of the same tree in Python. This exercises register reuse,
destination aliasing (x = y - x), immediates, short-circuit and folding.
"""
import random
import unittest

from flowc_support import OPS, CompileError, bfm, compile_text, refeval
from flowc_verify import verify_image
from flow import fold

wrap = fold.wrap32
I32_OPS = ["+", "-", "*", "/", "%", "&", "|", "^", "<<", ">>",
           "==", "!=", "<", "<=", ">", ">=", "&&", "||"]


class DivZero(Exception):
    pass


def i32_binary(op, a, b):
    if op in ("/", "%"):
        if b == 0 or (a == -2**31 and b == -1):
            raise DivZero()
        return fold.i32_div(a, b) if op == "/" else fold.i32_rem(a, b)
    if op == "&&":
        return 1 if a and b else 0
    if op == "||":
        return 1 if a or b else 0
    return fold.binary(op, fold.I32, a, b)


class Gen:
    """Random expression trees. Each node is (flow text, evaluate(env), constant
    value or None); `static_trap` records a division whose trap is known at
    compile time, which flowc must reject (docs/flow-language.md, section 7)."""

    def __init__(self, rng, names, calls=True):
        self.rng = rng
        self.names = names
        self.calls = calls
        self.static_trap = False

    def expr(self, depth):
        return self.node(depth)[:2]

    def node(self, depth):
        r = self.rng
        if depth == 0 or r.random() < 0.25:
            if r.random() < 0.5:
                name = r.choice(self.names)
                return name, lambda env, n=name: env[n], None
            v = r.choice([0, 1, 2, 3, -1, 7, 31, 32, 1000, 2**31 - 1, -2**31, r.randint(-99, 99)])
            text = "-2147483648" if v == -2**31 else (f"(-{-v})" if v < 0 else str(v))
            return text, lambda env, v=v: v, v
        kind = r.random()
        if kind < 0.12:
            op = r.choice(["-", "!", "~"])
            t, f, c = self.node(depth - 1)
            fn = {"-": lambda a: wrap(-a), "!": lambda a: 1 if a == 0 else 0, "~": lambda a: wrap(~a)}[op]
            return f"{op}({t})", lambda env: fn(f(env)), None if c is None else fn(c)
        if kind < 0.2:
            name = r.choice(["min", "max", "abs"])
            if name == "abs":
                t, f, c = self.node(depth - 1)
                return f"abs({t})", lambda env: wrap(abs(f(env))), None if c is None else wrap(abs(c))
            (t1, f1, c1), (t2, f2, c2) = self.node(depth - 1), self.node(depth - 1)
            g = min if name == "min" else max
            c = None if c1 is None or c2 is None else g(c1, c2)
            return f"{name}({t1}, {t2})", lambda env: g(f1(env), f2(env)), c
        if kind < 0.28 and self.calls:
            # g(p, q) = p * 3 - q, defined by every program (HELPER below).
            (t1, f1, _), (t2, f2, _) = self.node(depth - 1), self.node(depth - 1)
            return f"g({t1}, {t2})", lambda env: wrap(f1(env) * 3 - f2(env)), None
        op = r.choice(I32_OPS)
        (t1, f1, c1), (t2, f2, c2) = self.node(depth - 1), self.node(depth - 1)
        if op in ("/", "%") and (c2 == 0 or (c1 == -2**31 and c2 == -1)):
            self.static_trap = True

        def ev(env):
            a = f1(env)
            if op == "&&" and a == 0:
                return 0
            if op == "||" and a != 0:
                return 1
            return i32_binary(op, a, f2(env))
        if op == "&&" and c1 == 0:
            c = 0
        elif op == "||" and c1 not in (None, 0):
            c = 1
        elif c1 is None or c2 is None or self.static_trap:
            c = None
        else:
            c = i32_binary(op, c1, c2)
        return f"({t1} {op} {t2})", ev, c


HELPER = "fn g(p: i32, q: i32) -> i32 { return p * 3 - q; }\n"


def run_flow(source, args):
    image, data = compile_text(HELPER + source)
    image = bfm.read(data)
    verify_image(image, OPS)
    return refeval.Evaluator(image, OPS).call("f", *args)


class RandomExpressions(unittest.TestCase):
    def test_i32_expressions(self):
        rng = random.Random(4)
        static_traps = 0
        for case in range(300):
            gen = Gen(rng, ["a", "b", "c"])
            text, ev = gen.expr(rng.randint(1, 5))
            args = [rng.choice([0, 1, -1, 5, -7, 2**31 - 1, -2**31, rng.randint(-2**31, 2**31 - 1)])
                    for _ in range(3)]
            source = f"fn f(a: i32, b: i32, c: i32) -> i32 {{ return {text}; }}"
            with self.subTest(case=case, source=source, args=args):
                if gen.static_trap:
                    static_traps += 1
                    with self.assertRaises(CompileError) as ctx:
                        run_flow(source, args)
                    self.assertIn(ctx.exception.key, ("const_div_zero", "const_overflow"))
                    continue
                try:
                    expected = ev(dict(zip("abc", args)))
                except DivZero:
                    expected = "trap"
                try:
                    got = run_flow(source, args)
                except refeval.Trap as trap:
                    self.assertIn(trap.name, ("TrapDivideByZero", "TrapOverflow"))
                    got = "trap"
                self.assertEqual(got, expected)
        self.assertLess(static_traps, 100)

    def test_statement_sequences_with_aliasing(self):
        rng = random.Random(7)
        names = ["x", "y", "z"]
        gen = Gen(rng, names)
        for case in range(120):
            lines, steps = [], []
            for _ in range(rng.randint(1, 8)):
                target = rng.choice(names)
                op = rng.choice(["=", "+=", "-=", "*="])
                text, ev = gen.expr(rng.randint(0, 3))
                if "/" in text or "%" in text:
                    continue
                lines.append(f"    {target} {op} {text};")
                steps.append((target, op, ev))
            lines.append("    return x ^ (y << 8) ^ (z << 16);")
            source = ("fn f(x: i32, y: i32, z: i32) -> i32 {\n" + "\n".join(lines) + "\n}")
            args = [rng.randint(-1000, 1000) for _ in range(3)]
            env = dict(zip(names, args))
            for target, op, ev in steps:
                v = ev(env)
                old = env[target]
                env[target] = {"=": v, "+=": wrap(old + v), "-=": wrap(old - v),
                               "*=": wrap(old * v)}[op]
            expected = wrap(env["x"] ^ (env["y"] << 8) ^ (env["z"] << 16))
            with self.subTest(case=case, source=source, args=args):
                self.assertEqual(run_flow(source, args), expected)

    def test_f32_expressions_round_every_operation(self):
        rng = random.Random(11)
        f32 = fold.f32
        for case in range(150):
            ops = [rng.choice("+-*/") for _ in range(4)]
            text = "a"
            for op, operand in zip(ops, ["b", "c", "1.5", "a"]):
                text = f"({text} {op} {operand})"
            args = [f32(rng.uniform(-100, 100)) for _ in range(3)]
            v = args[0]
            for op, operand in zip(ops, [args[1], args[2], 1.5, args[0]]):
                if op == "/" and operand == 0:
                    break
                v = f32({"+": v + operand, "-": v - operand, "*": v * operand,
                         "/": v / operand if operand else 0}[op])
            source = f"fn f(a: f32, b: f32, c: f32) -> f32 {{ return {text}; }}"
            with self.subTest(case=case, source=source):
                self.assertEqual(run_flow(source, args), v)


if __name__ == "__main__":
    unittest.main()
