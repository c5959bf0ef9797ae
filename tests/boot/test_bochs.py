"""Boot suite on a second BIOS: Bochs with its own ROM BIOS (rombios), not
SeaBIOS. The same image must get through stage1 and stage2 (INT 13h
extensions, E820, A20) and the kernel must find its boot disk there too.

Bochs here has no interactive serial input worth the trouble, so the
session is a /AUTORUN.TXT script (docs/shell.md): `mods`, a module run, a
`write`, `disk`, then `poweroff`. Bochs has no isa-debug-exit, so the kernel
halts and the test stops Bochs once the log says "Powering off."; the disk
must then pass fsck.fat and hold the written file.

Skipped where Bochs is not installed (tools/ensure-deps.sh installs it).
"""
import os
import shutil
import subprocess
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import make_image_copy  # noqa: E402
from test_fat16 import fsck_partition, mtools  # noqa: E402

BIOS = "/usr/share/bochs/BIOS-bochs-latest"
VGA_BIOS = "/usr/share/bochs/VGABIOS-lgpl-latest"
SCRIPT = "mods\nrun fib.fib_iter 20\nwrite bochs.txt written under bochs\ndisk\npoweroff\n"

# A Core 2 (SSE2, no AVX), 64 MiB, the image as ATA primary master, COM1 to
# a file. The display is Bochs's VNC server that waits for nobody (the only
# headless one Debian builds); the speaker and sound are off.
BOCHSRC = """\
megs: 64
cpu: model=core2_penryn_t9600, ips=200000000
romimage: file={bios}
vgaromimage: file={vga_bios}
ata0-master: type=disk, path={image}, mode=flat
boot: disk
com1: enabled=1, mode=file, dev={serial}
display_library: rfb, options="timeout=0"
sound: driver=dummy
speaker: enabled=0
clock: sync=none, time0=local
log: {log}
panic: action=fatal
error: action=report
info: action=ignore
debug: action=ignore
"""


@unittest.skipUnless(shutil.which("bochs") and os.path.exists(BIOS) and os.path.exists(VGA_BIOS)
                     and shutil.which("mcopy") and shutil.which("fsck.fat"),
                     "needs bochs, bochsbios, vgabios, mtools and dosfstools")
class BochsBoot(unittest.TestCase):
    def test_boots_runs_modules_and_writes_its_own_disk(self):
        image = make_image_copy()
        with tempfile.TemporaryDirectory(prefix="bareflow-bochs-") as tmp:
            script = os.path.join(tmp, "AUTORUN.TXT")
            with open(script, "w") as f:
                f.write(SCRIPT)
            mtools(image, "mcopy", script, "::/AUTORUN.TXT")
            serial = os.path.join(tmp, "serial.txt")
            paths = dict(bios=BIOS, vga_bios=VGA_BIOS, image=image, serial=serial, log=os.path.join(tmp, "bochs.log"))
            config = os.path.join(tmp, "bochsrc")
            with open(config, "w") as f:
                f.write(BOCHSRC.format(**paths))
            commands = os.path.join(tmp, "debugger.rc")
            with open(commands, "w") as f:
                f.write("c\n")          # Debian's Bochs has the debugger built in: continue at once
            proc = subprocess.Popen(["bochs", "-q", "-f", config, "-rc", commands], cwd=tmp, stdin=subprocess.DEVNULL,
                                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
            log = ""
            try:
                deadline = time.monotonic() + 300
                while time.monotonic() < deadline and proc.poll() is None:
                    if os.path.exists(serial):
                        with open(serial, errors="replace") as f:
                            log = f.read().replace("\r", "")
                        if "Powering off." in log:
                            break
                    time.sleep(1)
            finally:
                try:
                    os.killpg(proc.pid, 9)
                except ProcessLookupError:
                    pass
                proc.wait()
        self.assertIn("Powering off.", log, f"Bochs did not get to the end of the script; serial log:\n{log}")
        self.assertIn("BareFlow stage2: kernel", log)
        self.assertRegex(log, r"boot-disk: signature 0x[0-9a-f]{8}, FAT16 at LBA \d+, via ata primary master\n")
        self.assertRegex(log, r"FIB \(FIB\.BFM, \d+ bytes")
        self.assertRegex(log, r"bf> run fib\.fib_iter 20\n6765\n")
        self.assertIn("wrote 20 bytes to bochs.txt", log)
        self.assertRegex(log, r"read 1024 KiB in [\d.]+ ms: \d+ KiB/s")
        self.assertEqual(mtools(image, "mtype", "::/BOCHS.TXT").strip(), "written under bochs")
        status, report = fsck_partition(image)
        self.assertEqual(status, 0, report)


if __name__ == "__main__":
    unittest.main()
