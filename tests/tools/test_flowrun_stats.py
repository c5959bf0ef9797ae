"""flowrun --stats on a module with many functions: the report ends (it used
to spin for good once its buffer was full) and lists every function that
ran. Uses $BAREFLOW_BUILD/host/flowrun."""
import os
import re
import subprocess
import tempfile
import unittest

from flowc_support import compile_text
from flowrun_support import FLOWRUN

FUNCTIONS = 700


@unittest.skipUnless(os.path.exists(FLOWRUN), "flowrun not built")
class FlowrunStats(unittest.TestCase):

    def test_seven_hundred_functions_are_all_reported(self):
        source = "".join(f"fn g{k}() -> i32 {{ return {k}; }}\n" for k in range(FUNCTIONS))
        source += "fn main() -> i32 { var s: i32 = 0;\n"
        source += "".join(f"    s += g{k}();\n" for k in range(FUNCTIONS))
        source += "    return s; }\n"
        with tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, "MANY.BFM")
            with open(path, "wb") as f:
                f.write(compile_text(source, "MANY")[1])
            r = subprocess.run([FLOWRUN, path, "main", "--tier", "1", "--stats"], capture_output=True, text=True,
                               timeout=60)
        self.assertEqual(r.returncode, 0, r.stderr[-2000:])
        self.assertEqual(r.stdout.strip(), str(sum(range(FUNCTIONS))))
        rows = set(re.findall(r"^(g\d+)\s+1\s", r.stderr, re.M))
        self.assertEqual(rows, {f"g{k}" for k in range(FUNCTIONS)})
        self.assertIn("code pool: ", r.stderr)


if __name__ == "__main__":
    unittest.main()
