"""The `llm` command in the kernel: the LLAMA2 module (modules/llama2.flow)
generates text from a random checkpoint and tokenizer on the boot volume,
and prints what the C reference (tests/llm/reference.c) prints, greedy and
sampled. Bad inputs get a message and the shell keeps going. After a
poweroff the JIT snapshot holds the model's native code, and on the next
boot `llm` installs it once the buffers have the model's sizes, so the
first token comes from tier-2 code. A checkpoint larger than the data pool
is refused with a message that names the remedy.
"""
import os
import re
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "tools"))
from harness import Qemu, make_image_copy, repo_root  # noqa: E402
from test_modules import command  # noqa: E402
import llm_support as ls  # noqa: E402

FLOWIMG = os.path.join(repo_root(), "tools", "flowimg.py")
GREEDY = "llm /DATA/MODEL.BIN -z /DATA/TOK.BIN -n 64 -t 0"
SAMPLED = 'llm /DATA/MODEL.BIN -z /DATA/TOK.BIN -n 40 -t 0.9 -p 0.9 -s 42 -i "Once upon a time"'


def put(image, host_path, dest):
    subprocess.run([sys.executable, FLOWIMG, "put", image, host_path, dest], check=True, capture_output=True)


def generated_text(output):
    """The text between the command line (and any snap: lines after it) and
    `achieved tok/s`."""
    m = re.search(r"^(.*)\nachieved tok/s: [0-9.]+\n", output, re.S)
    if not m:
        raise AssertionError(f"no generated text in:\n{output}")
    lines = m.group(1).split("\n")[1:]
    while lines and lines[0].startswith("snap: "):
        lines.pop(0)
    return "\n".join(lines)


def reference(checkpoint, tokenizer, *args):
    proc = ls.run(checkpoint, *args, tokenizer=tokenizer)
    if proc.returncode != 0:
        raise AssertionError(proc.stderr.decode(errors="replace"))
    return ls.Output(proc.stdout)


class LlmInTheKernel(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        cls.dir = ls.Workdir()
        d = cls.dir
        cls.ckpt = d.checkpoint("model.bin", 64, 172, 2, 8, 2, 512, 128, seed=2)
        cls.tok = d.tokenizer("tok.bin", 512)
        with open(cls.ckpt, "rb") as f:
            data = f.read()
        with open(d.file("short.bin"), "wb") as f:
            f.write(data[:len(data) // 3])
        with open(cls.tok, "rb") as f:
            tok = f.read()
        with open(d.file("cut.bin"), "wb") as f:
            f.write(tok[:len(tok) // 2])
        cls.image = make_image_copy()
        for name, dest in (("model.bin", "/DATA/MODEL.BIN"), ("tok.bin", "/DATA/TOK.BIN"),
                           ("short.bin", "/DATA/SHORT.BIN"), ("cut.bin", "/DATA/CUT.BIN")):
            put(cls.image, d.file(name), dest)
        cls.greedy = reference(cls.ckpt, cls.tok, "-n", 64, "-t", 0)
        assert len(cls.greedy.tokens) == 65, "the greedy text should run all 64 steps"
        cls.sampled = reference(cls.ckpt, cls.tok, "-n", 40, "-t", 0.9, "-p", 0.9, "-s", 42, "-i", "Once upon a time")

    @classmethod
    def tearDownClass(cls):
        cls.dir.close()

    def test_cold_then_warm_boot(self):
        with Qemu(self.image, timeout=300) as vm:
            vm.wait_prompt(timeout=90)
            out = command(vm, GREEDY, timeout=120)
            self.assertEqual(generated_text(out).encode(), self.greedy.text)
            self.assertRegex(out, r"llm: load [0-9]+ ms, first token [0-9]+ ms \(matmul at tier [12]\), 64 positions")  # no early BOS
            out = command(vm, SAMPLED, timeout=120)
            self.assertEqual(generated_text(out).encode(), self.sampled.text)

            # Bad inputs: a message each, and the shell goes on.
            self.assertIn("shorter than its header says", command(vm, "llm /DATA/SHORT.BIN -z /DATA/TOK.BIN"))
            self.assertRegex(command(vm, "llm /DATA/MODEL.BIN -z /DATA/NONE.BIN"), r"tokenizer /DATA/NONE.BIN does not exist")
            self.assertIn("not a tokenizer for this model", command(vm, "llm /DATA/MODEL.BIN -z /DATA/CUT.BIN"))
            self.assertIn("does not exist", command(vm, "llm /DATA/ABSENT.BIN"))
            self.assertIn("the temperature is a number", command(vm, "llm /DATA/MODEL.BIN -t warm"))
            out = command(vm, GREEDY, timeout=120)
            self.assertEqual(generated_text(out).encode(), self.greedy.text)
            vm.send_line("poweroff")
            vm.wait_for(r"snap: saved /JIT/LLAMA2\.SNP", timeout=60)
            vm.wait_exit(timeout=60)

        with Qemu(self.image, timeout=300) as vm:
            vm.wait_prompt(timeout=90)
            out = command(vm, GREEDY, timeout=120)
            self.assertRegex(out, r"snap: /JIT/LLAMA2\.SNP loaded: [0-9]+ functions with native code")
            self.assertIn("(matmul at tier 2)", out)
            self.assertEqual(generated_text(out).encode(), self.greedy.text)
            vm.send_line("poweroff")
            vm.wait_exit(timeout=60)


class CheckpointLargerThanMemory(unittest.TestCase):

    def test_refused_with_the_remedy(self):
        d = ls.Workdir()
        try:
            # About 36 MB of weights: more than the data pool of a 64 MiB machine.
            ckpt = d.checkpoint("big.bin", 256, 512, 12, 8, 8, 4096, 64, seed=5)
            tok = d.tokenizer("tok.bin", 4096)
            image = make_image_copy()
            put(image, ckpt, "/DATA/BIG.BIN")
            put(image, tok, "/DATA/TOK.BIN")
            with Qemu(image, memory_mb=64, timeout=300) as vm:
                vm.wait_prompt(timeout=90)
                out = command(vm, "llm /DATA/BIG.BIN -z /DATA/TOK.BIN -n 4", timeout=120)
                self.assertRegex(out, r"llm: buffer LLAMA2\.W: [0-9]+ elements .*boot with more memory")
                self.assertRegex(command(vm, "run fib.fib_iter 10"), r"\n55\n")
                vm.send_line("poweroff")
                vm.wait_exit(timeout=60)
        finally:
            d.close()


if __name__ == "__main__":
    unittest.main()
