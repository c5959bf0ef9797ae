"""Boot-test harness: run a BareFlow disk image in QEMU and talk to its serial port.

The contract (shared with the kernel's shell tests) is in docs/architecture.md
under "Testing in QEMU":

    from harness import Qemu, kvm_usable, build_dir, make_image_copy
    with Qemu(image, memory_mb=64, accel="tcg") as vm:
        vm.wait_prompt()
        text = vm.command("mem")
        vm.send_line("poweroff")
        assert vm.wait_exit() == 33

QEMU runs headless (-display none -nic none -no-reboot), COM1 on its stdio
pipes, with isa-debug-exit at 0xf4 so the guest chooses QEMU's exit status
((value << 1) | 1): 33 for poweroff, 35 for a panic. It runs under
`timeout` as a last resort and is killed when the with-block ends.
"""
import functools
import os
import re
import shutil
import signal
import subprocess
import tempfile
import threading
import time

PROMPT = "bf> "
EXIT_POWEROFF = 33      # isa-debug-exit value 0x10
EXIT_PANIC = 35         # isa-debug-exit value 0x11
QEMU_BINARY = os.environ.get("QEMU", "qemu-system-i386")


def repo_root():
    return os.environ.get("BAREFLOW_ROOT") or os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def build_dir():
    """The build directory: $BAREFLOW_BUILD, else <root>/build."""
    return os.environ.get("BAREFLOW_BUILD") or os.path.join(repo_root(), "build")


@functools.lru_cache(maxsize=None)
def kvm_usable():
    """True if KVM can really run BareFlow here: tools/kvm-probe.sh boots a
    tiny protected-mode + SSE2 guest with it (opening /dev/kvm is not
    enough: some hosts' KVM emulates 32-bit guests and lacks SSE). Probed
    once per process; the script also caches its answer in the build dir."""
    cache = build_dir() if os.path.isdir(build_dir()) else ""
    try:
        proc = subprocess.run(["bash", os.path.join(repo_root(), "tools", "kvm-probe.sh"), cache],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=60)
    except (OSError, subprocess.TimeoutExpired):
        return False
    return proc.returncode == 0


def kill_process_group(proc):
    """Kill a process started with start_new_session=True and everything in
    its group (QEMU under `timeout`), then reap it."""
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass                            # the whole group has exited already
    proc.wait()


_temp_dirs = []


def make_image_copy(src=None):
    """A private copy of the image (default: <build>/bareflow.img) in a temp
    directory removed at exit, so a test may patch or boot it freely."""
    src = src or os.path.join(build_dir(), "bareflow.img")
    if not os.path.exists(src):
        raise FileNotFoundError(f"no disk image at {src} (run: make BUILD={build_dir()} image)")
    if not _temp_dirs:
        _temp_dirs.append(tempfile.TemporaryDirectory(prefix="bareflow-boot-"))
    dst = os.path.join(_temp_dirs[0].name, f"{len(os.listdir(_temp_dirs[0].name))}-{os.path.basename(src)}")
    # A sparse copy: the image is mostly empty FAT16 clusters, so skipping
    # zero blocks saves most of the time and all but a few MiB of disk.
    block = 1 << 20
    with open(src, "rb") as source, open(dst, "wb") as target:
        while chunk := source.read(block):
            if chunk.count(0) == len(chunk):
                target.seek(len(chunk), os.SEEK_CUR)
            else:
                target.write(chunk)
        target.truncate()
    return dst


# Where a disk image can sit, as QEMU arguments: name -> (machine or None for
# any, a function
# of (image, drive id, boot) giving the -drive/-device arguments). `boot`
# marks the disk the BIOS should boot (bootindex=0); the others get none.
# IDE positions use QEMU's index= (0 primary master, 1 primary slave,
# 2 secondary master, 3 secondary slave); "ahci" and "ahci-port-1" are ports
# 0 and 1 of q35's built-in SATA controller; the USB ones put a usb-storage
# stick on the named host controller.
def _ide(index):
    return lambda image, name, boot: ["-drive", f"file={image},format=raw,if=none,id={name}",
                                      "-device", f"ide-hd,drive={name},bus=ide.{index // 2},unit={index % 2}"
                                      + (",bootindex=0" if boot else "")]


def _sata(port):
    # q35's ICH9 AHCI controller names its six ports ide.0 ... ide.5.
    return lambda image, name, boot: ["-drive", f"file={image},format=raw,if=none,id={name}",
                                      "-device", f"ide-hd,drive={name},bus=ide.{port}"
                                      + (",bootindex=0" if boot else "")]


def _usb(controller):
    return lambda image, name, boot: ["-drive", f"file={image},format=raw,if=none,id={name}",
                                      "-device", f"usb-storage,drive={name},bus={controller}.0"
                                      + (",bootindex=0" if boot else ",bootindex=5")]


DISK_PLACES = {
    "ide-primary-master": ("pc", _ide(0)),
    "ide-primary-slave": ("pc", _ide(1)),
    "ide-secondary-master": ("pc", _ide(2)),
    "ahci": ("q35", _sata(0)),
    "ahci-port-1": ("q35", _sata(1)),
    "usb-uhci": (None, _usb("uhci")),
    "usb-ehci": (None, _usb("ehci")),
    "usb-xhci": (None, _usb("xhci")),
}
USB_CONTROLLERS = {"usb-uhci": "piix3-usb-uhci,id=uhci", "usb-ehci": "usb-ehci,id=ehci",
                   "usb-xhci": "qemu-xhci,id=xhci"}


def disk_args_for(disks):
    """QEMU arguments for a list of (place, image) pairs; the first is the
    boot disk. Returns (machine, args). All places must fit one machine
    (USB sticks fit both; the default is pc)."""
    machines = {DISK_PLACES[place][0] for place, _ in disks} - {None}
    if len(machines) > 1:
        raise ValueError(f"disk places need different machines: {machines}")
    args = []
    for place in dict.fromkeys(place for place, _ in disks):
        if place in USB_CONTROLLERS:
            args += ["-device", USB_CONTROLLERS[place]]
    for n, (place, image) in enumerate(disks):
        args += DISK_PLACES[place][1](image, f"disk{n}", n == 0)
    return (machines.pop() if machines else "pc"), args


class Qemu:
    """One QEMU run of a disk image; use as a context manager."""

    def __init__(self, image, memory_mb=64, accel="tcg", cpu=None, extra_args=(), timeout=60, machine="pc",
                 disk_args=None):
        """`disk_args`, when given, replaces the default disk (`image` as IDE
        primary master), e.g. to attach it as a USB stick; see disk_args_for()."""
        if accel not in ("tcg", "kvm"):
            raise ValueError(f"accel must be 'tcg' or 'kvm', not {accel!r}")
        self.image = image
        self.timeout = timeout
        args = ["timeout", "-k", "5", str(timeout), QEMU_BINARY, "-machine", machine, "-m", str(memory_mb)]
        if accel == "kvm":
            args += ["-enable-kvm", "-cpu", cpu or "host,-arch-capabilities"]
        else:
            args += ["-accel", "tcg"] + (["-cpu", cpu] if cpu else [])
        if disk_args is None:
            disk_args = ["-drive", f"file={image},format=raw,if=ide"]
        args += list(disk_args) + ["-display", "none", "-nic", "none",
                 "-monitor", "none", "-no-reboot", "-serial", "stdio",
                 "-device", "isa-debug-exit,iobase=0xf4,iosize=0x04"]
        self.args = args + list(extra_args)
        self._chunks = []
        self._cond = threading.Condition()
        self._closed = False
        self._consumed = 0          # where command() starts looking for output
        self.proc = None

    # --- lifetime --------------------------------------------------------------

    def __enter__(self):
        # A session of its own: `timeout` and QEMU share one process group,
        # which __exit__ kills whole (killing `timeout` alone would orphan QEMU).
        self.proc = subprocess.Popen(self.args, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.STDOUT, start_new_session=True)
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()
        return self

    def __exit__(self, *exc):
        kill_process_group(self.proc)
        self._reader.join(timeout=5)
        for stream in (self.proc.stdin, self.proc.stdout):
            try:
                stream.close()
            except OSError:
                pass
        return False

    def _read(self):
        fd = self.proc.stdout.fileno()
        while True:
            data = os.read(fd, 4096)
            with self._cond:
                if not data:
                    self._closed = True
                    self._cond.notify_all()
                    return
                self._chunks.append(data.decode("utf-8", "replace").replace("\r\n", "\n"))
                self._cond.notify_all()

    # --- serial I/O ----------------------------------------------------------------

    @property
    def output(self):
        """Everything read from COM1 (and QEMU's own messages) so far."""
        with self._cond:
            return "".join(self._chunks)

    def _fail(self, what, timeout):
        status = self.proc.poll()
        state = "still running" if status is None else f"exited with status {status}"
        raise AssertionError(f"{what} not seen within {timeout}s (QEMU {state}); serial output so far:\n"
                             f"{self.output}")

    def wait_for(self, regex, timeout=30, start=0):
        """Wait until the output (from offset `start`) matches `regex`;
        returns the re.Match. AssertionError with the output on timeout."""
        pattern = re.compile(regex)
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                m = pattern.search("".join(self._chunks), start)
                if m:
                    return m
                left = deadline - time.monotonic()
                if left <= 0 or self._closed:
                    break
                self._cond.wait(min(left, 0.5))
        self._fail(f"/{regex}/", timeout)

    def wait_prompt(self, timeout=30):
        m = self.wait_for(re.escape(PROMPT), timeout, self._consumed)
        self._consumed = m.end()
        return m

    def send_line(self, text):
        self.proc.stdin.write(text.encode() + b"\n")
        self.proc.stdin.flush()

    def command(self, text, timeout=30):
        """Send a line, wait for the next prompt, return what came in between
        (the echo of the line, if the shell echoes, included)."""
        start = len(self.output)
        self.send_line(text)
        m = self.wait_for(re.escape(PROMPT), timeout, start)
        self._consumed = m.end()
        return self.output[start:m.start()]

    def wait_exit(self, timeout=30):
        """QEMU's exit status (33 poweroff, 35 panic, 124 if `timeout` killed it)."""
        try:
            status = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self._fail("QEMU exit", timeout)
        self._reader.join(timeout=5)
        return status
