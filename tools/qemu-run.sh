#!/usr/bin/env bash
# tools/qemu-run.sh: boot a BareFlow disk image in QEMU (make run / make debug).
#
#   bash tools/qemu-run.sh IMAGE                    serial console on this terminal
#   bash tools/qemu-run.sh --debug IMAGE KERNEL_ELF paused, gdb stub on TCP 1234
#                                                   (BAREFLOW_GDB_PORT to change)
#
# The image is an IDE disk; COM1 is stdin/stdout (works from a terminal and
# with a pipe: printf 'help\nmem\npoweroff\n' | make run). KVM is used when
# this machine can really run the kernel (tools/kvm-probe.sh), else TCG.
#
# Exit status (docs/architecture.md; tests/boot/harness.py uses the same):
#   0  the kernel powered off (isa-debug-exit value 0x10, QEMU status 33)
#   3  the kernel panicked or took a CPU exception (value 0x11, status 35)
#   anything else is QEMU's own status, reported as it is
#
# Environment: BAREFLOW_MEMORY (MiB, default 256), BAREFLOW_ACCEL (kvm, tcg
# or auto), BAREFLOW_CPU (QEMU -cpu model), QEMU (the binary).
set -u

QEMU=${QEMU:-qemu-system-i386}
MEMORY=${BAREFLOW_MEMORY:-256}
ACCEL=${BAREFLOW_ACCEL:-auto}
HERE=$(cd "$(dirname "$0")" && pwd)

usage() {
  echo "usage: bash tools/qemu-run.sh [--debug] IMAGE [KERNEL_ELF]" >&2
  exit 2
}

debug=0
if [ "${1:-}" = "--debug" ]; then debug=1; shift; fi
[ $# -ge 1 ] || usage
image=$1
elf=${2:-}
[ -f "$image" ] || { echo "qemu-run: no disk image at '$image' (run: make image)" >&2; exit 2; }
if [ $debug = 1 ] && [ ! -f "$elf" ]; then
  echo "qemu-run: --debug needs the kernel ELF for symbols; '$elf' does not exist" >&2; exit 2
fi
command -v "$QEMU" >/dev/null || { echo "qemu-run: $QEMU not found (run: make deps)" >&2; exit 2; }

# KVM when it really works here: tools/kvm-probe.sh boots a tiny protected
# mode + SSE2 guest with it (cached next to the image, per host boot).
kvm_usable() {
  bash "$HERE/kvm-probe.sh" "$(dirname "$image")"
}

case $ACCEL in
  kvm) accel=(-enable-kvm -cpu "${BAREFLOW_CPU:-host,-arch-capabilities}") ;;
  tcg) accel=(-accel tcg ${BAREFLOW_CPU:+-cpu "$BAREFLOW_CPU"}) ;;
  auto)
    if kvm_usable; then
      accel=(-enable-kvm -cpu "${BAREFLOW_CPU:-host,-arch-capabilities}"); ACCEL=kvm
    else
      echo "qemu-run: KVM cannot run BareFlow here (tools/kvm-probe.sh); using TCG" >&2
      accel=(-accel tcg ${BAREFLOW_CPU:+-cpu "$BAREFLOW_CPU"}); ACCEL=tcg
    fi ;;
  *) echo "qemu-run: BAREFLOW_ACCEL must be kvm, tcg or auto, not '$ACCEL'" >&2; exit 2 ;;
esac

args=("${accel[@]}" -m "$MEMORY" -machine pc
      -drive "file=$image,format=raw,if=ide"
      -display none -nic none -monitor none -no-reboot
      -device isa-debug-exit,iobase=0xf4,iosize=0x04)

if [ $debug = 1 ]; then
  # -S: wait for gdb at the reset vector; the gdb stub on TCP $port.
  port=${BAREFLOW_GDB_PORT:-1234}
  echo "qemu-run: QEMU paused ($ACCEL, ${MEMORY} MiB), gdb stub on port $port. In another terminal run:" >&2
  [ "$port" = 1234 ] && env= || env="BAREFLOW_GDB_PORT=$port "
  echo "    ${env}gdb -q $elf -x $HERE/gdb/bareflow.gdb" >&2
  echo "qemu-run: the serial console is here." >&2
  args+=(-gdb "tcp:localhost:$port" -S)
fi

# COM1 reads this terminal or pipe and writes the kernel's output. signal=off
# passes Ctrl-C to the kernel (it stops a running module call, or abandons
# the line being typed) instead of killing QEMU; mux=on gives the console
# QEMU's escape keys: Ctrl-A X quits QEMU, Ctrl-A H lists the others.
if [ -t 0 ]; then
  echo "qemu-run: Ctrl-C goes to the kernel; Ctrl-A X quits QEMU." >&2
fi
"$QEMU" "${args[@]}" -chardev stdio,id=console,mux=on,signal=off -serial chardev:console
status=$?
case $status in
  33) exit 0 ;;   # poweroff
  35) echo "qemu-run: the kernel panicked (QEMU status 35)" >&2; exit 3 ;;
  *) exit $status ;;
esac
