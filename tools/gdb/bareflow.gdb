# tools/gdb/bareflow.gdb: attach gdb to `make debug`.
#
# Started by tools/qemu-run.sh --debug as
#   gdb -q build/kernel/kernel.elf -x tools/gdb/bareflow.gdb
# so the kernel's symbols are already loaded (the ELF is linked at the
# physical addresses it runs at: no offset needed).

set architecture i386
set disassembly-flavor intel
set pagination off

# QEMU was started with -S and its gdb stub on TCP $BAREFLOW_GDB_PORT
# (default 1234); the CPU waits at the reset vector.
python
import os
gdb.execute("target remote localhost:" + os.environ.get("BAREFLOW_GDB_PORT", "1234"))
end

# A hardware breakpoint: a software one would be an int3 byte written at
# 1 MiB now, and stage2 copies the kernel over it before it is ever reached.
hbreak kernel_entry
echo \nbareflow: continuing to kernel_entry (BIOS, stage1 and stage2 run first)\n
continue
