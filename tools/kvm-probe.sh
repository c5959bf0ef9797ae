#!/usr/bin/env bash
# tools/kvm-probe.sh [CACHE-FILE]: prints "kvm" if this host's KVM really runs
# BareFlow's kind of guest (32-bit protected mode with SSE), else "tcg"; the
# reason goes to stderr. /dev/kvm existing, or QEMU starting with
# -enable-kvm, is not enough: some hosts (nested set-ups) run 32-bit guests
# through KVM's instruction emulator, which stops at the first SSE
# instruction. So the probe boots tools/kvm_probe.asm under KVM and expects
# its success status. With CACHE-FILE the answer is kept there and reused.
set -u
cache=${1:-}
if [ -n "$cache" ] && [ -s "$cache" ]; then cat "$cache"; exit 0; fi

answer() { # answer kvm|tcg REASON
  echo "kvm-probe: $2" >&2
  [ -n "$cache" ] && { mkdir -p "$(dirname "$cache")"; echo "$1" > "$cache"; }
  echo "$1"; exit 0
}

QEMU=${QEMU:-qemu-system-i386}
[ -e /dev/kvm ] || answer tcg "no /dev/kvm: using TCG"
[ -r /dev/kvm ] && [ -w /dev/kvm ] || answer tcg "/dev/kvm is not accessible to $(id -un): using TCG"
command -v nasm >/dev/null || answer tcg "nasm is missing, cannot build the KVM probe: using TCG"

dir=$(mktemp -d) || answer tcg "no temporary directory: using TCG"
trap 'rm -rf "$dir"' EXIT
here=$(cd "$(dirname "$0")" && pwd)
nasm -f bin "$here/kvm_probe.asm" -o "$dir/probe.bin" || answer tcg "could not assemble the KVM probe: using TCG"
timeout 5 "$QEMU" -enable-kvm -cpu host,-arch-capabilities -display none -nic none \
  -serial none -monitor none -no-reboot -device isa-debug-exit,iobase=0xf4,iosize=0x04 \
  -kernel "$dir/probe.bin" >"$dir/log" 2>&1
status=$?
case $status in
  33) answer kvm "KVM runs 32-bit SSE guests: using KVM" ;;
  124) answer tcg "KVM did not run the 32-bit SSE probe to the end (this host's KVM emulates 32-bit guests): using TCG" ;;
  *) answer tcg "KVM probe ended with status $status ($(head -c 200 "$dir/log" | tr '\n' ' ')): using TCG" ;;
esac
