#!/usr/bin/env bash
# Makes sure the build and test tools are on this machine.
# As root it installs what is missing with apt-get; otherwise it prints the one
# command to run and fails. Called by `make run`, `make test`, `make bench`.
set -u

missing=()
need() { # need PACKAGE CHECK-COMMAND...
  local pkg=$1; shift
  "$@" >/dev/null 2>&1 || missing+=("$pkg")
}
m32_ok() {
  local t; t=$(mktemp -d) || return 1
  printf '#include <vector>\nint main(){std::vector<int> v{1};return v[0]-1;}\n' > "$t/t.cpp"
  g++ -m32 "$t/t.cpp" -o "$t/t" && "$t/t"; local rc=$?
  rm -rf "$t"; return $rc
}

need make        command -v make
need nasm        command -v nasm
need qemu-system-x86 command -v qemu-system-i386
need binutils    command -v objdump
need dosfstools  command -v fsck.fat
need mtools      command -v mcopy
need googletest  test -f /usr/src/googletest/googletest/src/gtest-all.cc
need g++-multilib m32_ok
need gcc-multilib test -d /usr/lib/gcc/x86_64-linux-gnu/"$(gcc -dumpversion 2>/dev/null)"/32
need python3     command -v python3
# Bochs: a second BIOS for the boot suite (tests/boot/test_bochs.py).
need bochs       command -v bochs
need bochsbios   test -f /usr/share/bochs/BIOS-bochs-latest
need vgabios     test -f /usr/share/bochs/VGABIOS-lgpl-latest

[ ${#missing[@]} -eq 0 ] && exit 0

# De-duplicate while keeping order.
pkgs=$(printf '%s\n' "${missing[@]}" | awk '!seen[$0]++' | tr '\n' ' ')
cmd="apt-get update && apt-get install -y --no-install-recommends $pkgs"
if [ "$(id -u)" -ne 0 ]; then
  echo "BareFlow needs: $pkgs" >&2
  echo "Run:  sudo sh -c '$cmd'" >&2
  exit 1
fi
echo "ensure-deps: installing $pkgs" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -q >/dev/null && apt-get install -y -q --no-install-recommends $pkgs >/dev/null || {
  echo "ensure-deps: apt-get failed; run: $cmd" >&2; exit 1; }
exit 0
