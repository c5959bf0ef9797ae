"""The x86 golden vectors: checked-in file and generator agree, and objdump
decodes every byte string the emitter wrote to nasm's instruction text,
consuming exactly the emitted length.

Runs tools/gen_x86_vectors.py --check with the case dump program that
`make test` builds (BAREFLOW_BUILD/host/x86_golden_dump).
"""
import os
import subprocess
import sys
import unittest

ROOT = os.environ.get("BAREFLOW_ROOT", os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
BUILD = os.environ.get("BAREFLOW_BUILD", os.path.join(ROOT, "build"))
DUMP = os.path.join(BUILD, "host", "x86_golden_dump")
VECTORS = os.path.join(ROOT, "tests", "x86", "golden_vectors.txt")
GENERATOR = os.path.join(ROOT, "tools", "gen_x86_vectors.py")


class X86GoldenVectors(unittest.TestCase):
    def test_vectors_match_generator_and_objdump_decodes_emitted_bytes(self):
        self.assertTrue(os.access(DUMP, os.X_OK), f"{DUMP} is not built (make test builds it)")
        proc = subprocess.run([sys.executable, GENERATOR, "--dump", DUMP, "--check", VECTORS],
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        self.assertEqual(proc.returncode, 0, proc.stdout[-6000:])
        self.assertIn("agree with the generator and with objdump", proc.stdout)

    def test_drift_is_reported(self):
        # A vectors file with one line changed must be refused.
        self.assertTrue(os.access(DUMP, os.X_OK), f"{DUMP} is not built (make test builds it)")
        import tempfile
        with open(VECTORS) as f:
            lines = f.readlines()
        index = next(i for i, line in enumerate(lines) if line.startswith("add eax, ecx\t"))
        text, code, lengths, decoded = lines[index].rstrip("\n").split("\t")
        lines[index] = f"{text}\t03c1\t{lengths}\t{decoded}\n"  # the other valid encoding
        with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False) as tmp:
            tmp.writelines(lines)
        try:
            proc = subprocess.run([sys.executable, GENERATOR, "--dump", DUMP, "--check", tmp.name],
                                  stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        finally:
            os.unlink(tmp.name)
        self.assertNotEqual(proc.returncode, 0)
        self.assertIn("disagree", proc.stdout)


if __name__ == "__main__":
    unittest.main()
