#!/usr/bin/env bash
# tools/kvm-probe.sh: exit 0 if KVM can run BareFlow on this machine, else 1.
#
#   bash tools/kvm-probe.sh [CACHE_DIR]
#
# Boots tools/kvm-probe.asm (a 64 KiB firmware: protected mode + SSE2, then
# isa-debug-exit) with -enable-kvm -cpu host,-arch-capabilities and wants
# QEMU status 33 within a few seconds. Opening /dev/kvm is not enough: some
# hosts' KVM emulates 32-bit guests instruction by instruction, lacks SSE,
# and stops the guest with "KVM internal error". The answer is cached in
# CACHE_DIR/kvm-probe.txt for this boot of the host and this QEMU.
# Used by tools/qemu-run.sh and tests/boot/harness.py.
set -u

QEMU=${QEMU:-qemu-system-i386}
HERE=$(cd "$(dirname "$0")" && pwd)
cache_dir=${1:-}
key="$(cat /proc/sys/kernel/random/boot_id 2>/dev/null) $("$QEMU" --version 2>/dev/null | head -n 1)"
cache=${cache_dir:+$cache_dir/kvm-probe.txt}

if [ -n "$cache" ] && [ -f "$cache" ] && [ "$(head -n 1 "$cache")" = "$key" ]; then
  exit "$(sed -n 2p "$cache")"
fi

probe() {
  [ -r /dev/kvm ] && [ -w /dev/kvm ] || return 1
  command -v nasm >/dev/null && command -v "$QEMU" >/dev/null || return 1
  local tmp pid status=1 i
  tmp=$(mktemp -d) || return 1
  if nasm -f bin -o "$tmp/probe.bin" "$HERE/kvm-probe.asm"; then
    "$QEMU" -enable-kvm -cpu host,-arch-capabilities -machine pc -bios "$tmp/probe.bin" -m 16 \
      -display none -nic none -nodefaults -monitor none -serial none \
      -device isa-debug-exit,iobase=0xf4,iosize=0x04 >"$tmp/log" 2>&1 &
    pid=$!
    # A working KVM answers in well under a second; an emulating one stops
    # the guest with an internal error and QEMU waits forever: give up then.
    for i in $(seq 100); do
      kill -0 "$pid" 2>/dev/null || break
      grep -q "internal error" "$tmp/log" && break
      sleep 0.1
    done
    if kill -0 "$pid" 2>/dev/null; then
      kill "$pid" 2>/dev/null
      wait "$pid" 2>/dev/null
    else
      wait "$pid"
      [ $? -eq 33 ] && status=0
    fi
  fi
  rm -rf "$tmp"
  return $status
}

probe
result=$?
if [ -n "$cache" ] && [ -d "$cache_dir" ]; then
  printf '%s\n%s\n' "$key" "$result" > "$cache" 2>/dev/null
fi
exit $result
