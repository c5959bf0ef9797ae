"""tools/benchchart.py: the headline chart is well-formed SVG with one bar per
measured series, missing series have none, and bad input is a clear error."""
import json
import os
import subprocess
import sys
import tempfile
import unittest
import xml.etree.ElementTree as ET

ROOT = os.environ.get("BAREFLOW_ROOT") or os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SCRIPT = os.path.join(ROOT, "tools", "benchchart.py")
SVG = "{http://www.w3.org/2000/svg}"


def kernel(name, **fields):
    row = {"kernel": name, "tier0_ns": 1000.0, "tier1_ns": 100.0, "tier2_ns": None, "spec_ns": None,
           "gcc_o2_ns": 50.0, "gcc_o3_ns": 25.0}
    row.update(fields)
    return row


class BenchChart(unittest.TestCase):

    def run_chart(self, data):
        with tempfile.TemporaryDirectory() as d:
            src, dst = os.path.join(d, "results.json"), os.path.join(d, "out.svg")
            with open(src, "w") as f:
                f.write(data if isinstance(data, str) else json.dumps(data))
            proc = subprocess.run([sys.executable, SCRIPT, src, dst], capture_output=True, text=True)
            svg = open(dst).read() if os.path.exists(dst) else None
            return proc, svg

    def test_bars_follow_the_measured_series(self):
        data = {"tier2_isa": "sse2", "kernels": [kernel("dot(4096)", tier2_ns=5.0), kernel("collatz(27)")]}
        proc, svg = self.run_chart(data)
        self.assertEqual(proc.returncode, 0, proc.stderr)
        root = ET.fromstring(svg)
        titles = [t.text for t in root.iter(SVG + "title")]
        # dot: tier 0, 1, 2, gcc -O3; collatz: no tier 2.
        self.assertEqual(len([t for t in titles if t.startswith("dot(4096)")]), 4, titles)
        self.assertEqual(len([t for t in titles if t.startswith("collatz(27)")]), 3, titles)
        self.assertIn("dot(4096) tier 2: 0.1x gcc -O2", titles)
        self.assertIn("collatz(27) tier 0 (interpreter): 20x gcc -O2", titles)

    def test_bad_input_is_a_clear_error(self):
        proc, svg = self.run_chart("{not json")
        self.assertEqual(proc.returncode, 1)
        self.assertIn("benchchart: cannot read", proc.stderr)
        proc, _ = self.run_chart({"kernels": [kernel("x", gcc_o2_ns=0)]})
        self.assertEqual(proc.returncode, 1)
        self.assertIn("has no gcc_o2_ns", proc.stderr)
        proc, _ = self.run_chart({"kernels": []})
        self.assertIn("no 'kernels' list", proc.stderr)


if __name__ == "__main__":
    unittest.main()
