"""flowc: mutated programs never crash the compiler.

Each shipped module's source is mutated many times (characters and tokens
deleted, duplicated, swapped or replaced; fixed seeds). Every mutant must
either compile into a module that passes the verifier-rule re-check, or fail
with a CompileError, never any other exception (which would be a Python
traceback for the user).
"""
import glob
import os
import random
import re
import unittest

from flowc_support import MODULES, OPS, CompileError, bfm, compile_text
from flowc_verify import verify_image

SNIPPETS = ["fn", "var", "for", "in", "..", "while", "if", "else", "return", "break;", "continue;",
            "{", "}", "(", ")", "[", "]", ";", ",", ":", "->", "=", "+=", "*", "/", "%", "&&",
            "||", "!", "~", "<<", "i32", "f32", "[f32]", "0", "1", "-2147483648", "2147483648",
            "0xFFFFFFFF", "1.5", "1e40", "x", "n", "a", "len", "sqrt", "min", "i32(", "f32(",
            "buf", "const", "@", "//", "\n", "0.0 / 0.0", "1 / 0"]
TOKEN = re.compile(r"[A-Za-z_][A-Za-z0-9_]*|\d+(?:\.\d+)?|\S")


def mutate(rng, source):
    tokens = [m for m in TOKEN.finditer(source)]
    out = source
    for _ in range(rng.randint(1, 3)):
        if not tokens:
            break
        m = rng.choice(tokens)
        start, end = m.span()
        choice = rng.random()
        if choice < 0.3:
            out = out[:start] + out[end:]
        elif choice < 0.6:
            out = out[:start] + rng.choice(SNIPPETS) + out[end:]
        elif choice < 0.75:
            out = out[:start] + " " + rng.choice(SNIPPETS) + " " + out[start:]
        elif choice < 0.9:
            other = rng.choice(tokens)
            out = out[:start] + other.group(0) + out[end:]
        else:
            i = rng.randrange(len(out) + 1)
            out = out[:i] + chr(rng.randrange(32, 127)) + out[i:]
        tokens = [m for m in TOKEN.finditer(out)]
    return out


class MutatedSources(unittest.TestCase):
    def test_mutants_compile_or_fail_cleanly(self):
        rng = random.Random(2024)
        sources = {}
        for path in sorted(glob.glob(os.path.join(MODULES, "*.flow"))):
            with open(path, encoding="utf-8") as f:
                sources[os.path.basename(path)] = f.read()
        small = [name for name in sources if name != "bench.flow"]
        outcomes = {"compiled": 0, "rejected": 0}
        for case in range(1500):
            name = rng.choice(small) if case % 10 else "bench.flow"
            mutant = mutate(rng, sources[name])
            try:
                _, data = compile_text(mutant)
            except CompileError as err:
                self.assertTrue(err.line >= 1 and err.col >= 1, err.message)
                outcomes["rejected"] += 1
                continue
            except Exception as exc:   # anything else is a compiler bug
                self.fail(f"{name} mutant #{case} raised {type(exc).__name__}: {exc}\n{mutant}")
            verify_image(bfm.read(data), OPS)
            outcomes["compiled"] += 1
        # Both outcomes must actually occur, or the mutator is not doing its job.
        self.assertGreater(outcomes["compiled"], 100, outcomes)
        self.assertGreater(outcomes["rejected"], 500, outcomes)


if __name__ == "__main__":
    unittest.main()
