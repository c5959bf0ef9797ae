# kernel/build.mk: the freestanding kernel image.
#
# Every .cpp and .asm file under kernel/ is built (so a subsystem's files,
# with their SHELL_COMMAND and KERNEL_INIT registrations, are linked without
# being listed here), together with the portable sources other fragments
# declare in MICROJIT_SRCS and FAT16_SRCS. Lists are merged with $(sort), so a
# file that is both found here and declared elsewhere is built once.
#
#   $(BUILD)/kernel/kernel.elf  linked at 1 MiB, with symbols (make debug)
#   $(BUILD)/kernel/kernel.bin  flat image, KernelHeader first, no .bss;
#                               tools/mkimage.py fills image_size and checksum

KERNEL_SRCS += $(shell find kernel -path kernel/tests -prune -o \( -name '*.cpp' -o -name '*.asm' \) -print 2>/dev/null)
# $(wildcard) drops a declared file that does not exist (yet): a subsystem
# in progress must not stop the kernel from building; anything the kernel
# really calls then shows up as an undefined symbol at link time.
KERNEL_ALL_SRCS := $(sort $(wildcard $(KERNEL_SRCS) $(MICROJIT_SRCS) $(FAT16_SRCS)))
KERNEL_OBJS := $(patsubst %.cpp,$(BUILD)/kernel/%.o,$(patsubst %.asm,$(BUILD)/kernel/%.o,$(KERNEL_ALL_SRCS)))
KERNEL_LDSCRIPT := kernel/arch/x86/linker.ld
KERNEL_ELF := $(BUILD)/kernel/kernel.elf
KERNEL_BIN := $(BUILD)/kernel/kernel.bin

# No libgcc: kernel/lib/ provides memcpy & co. and the 64-bit division
# helpers, so an undefined symbol here is a real missing piece.
$(KERNEL_ELF): $(KERNEL_OBJS) $(KERNEL_LDSCRIPT)
	@mkdir -p $(@D)
	ld -m elf_i386 -nostdlib -static --no-dynamic-linker --no-warn-rwx-segments -T $(KERNEL_LDSCRIPT) \
	  -Map=$(BUILD)/kernel/kernel.map -o $@ $(KERNEL_OBJS)

# -O binary writes the loadable sections from 1 MiB on; .bss is NOBITS and
# last, so it stays out of the file. The size check fails the build if a
# section ever lands after .bss and drags it into the image.
$(KERNEL_BIN): $(KERNEL_ELF)
	objcopy -O binary $< $@
	@$(PYTHON) -c 'import struct,sys; d=open(sys.argv[1],"rb").read(); \
m,v,h,sz,ck,e,b,r=struct.unpack_from("<8I",d); \
assert m==0x4E4B4642, "kernel.bin: KernelHeader magic missing at offset 0"; \
assert h==32 and 0x100000<=e<0x100000+len(d), "kernel.bin: bad header_size or entry"; \
assert b>=0x100000+len(d), "kernel.bin: bss_end inside the image"' $@

.PHONY: kernel
kernel: $(KERNEL_BIN)

# Host tests of kernel code that does not touch the hardware: the formatter,
# the heap (over a fake PMM) and the boot disk's MBR match, built hosted from
# the same sources.
$(eval $(call host_test,kernel_format_test,kernel/tests/format_test.cpp,kernel/lib/format.cpp))
$(eval $(call host_test,kernel_heap_test,kernel/tests/heap_test.cpp,kernel/mm/heap.cpp kernel/lib/format.cpp tools/host/panic_host.cpp))
$(eval $(call host_test,kernel_pmm_test,kernel/tests/pmm_test.cpp,kernel/mm/pmm.cpp tools/host/panic_host.cpp))
$(eval $(call host_test,kernel_shell_split_test,kernel/tests/shell_split_test.cpp,kernel/shell/split.cpp))
$(eval $(call host_test,kernel_init_test,kernel/tests/init_test.cpp,kernel/init.cpp kernel/lib/format.cpp))
$(eval $(call host_test,kernel_boot_disk_match_test,kernel/tests/boot_disk_match_test.cpp,kernel/drivers/boot_disk_match.cpp))

# `make bench`: boot the image and measure modules and snapshots inside the
# kernel (cold and warm), after the host benchmarks so that their tier-1
# figures can be set beside the kernel's. Writes $(BUILD)/bench/kernel.json.
.PHONY: bench-kernel
bench-kernel: image
	@mkdir -p $(BUILD)/bench
	$(PYTHON) tests/bench/bench_kernel.py $(BUILD)
BENCH_TARGETS += bench-kernel
