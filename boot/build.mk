# boot/build.mk: the boot chain and the disk image.
#
#   $(BUILD)/boot/stage1.bin   MBR code (boot/stage1.asm), at most 440 bytes
#   $(BUILD)/boot/stage2.bin   second stage (boot/stage2.asm), at most 16 KiB
#   $(BUILD)/bareflow.img      the bootable disk (make image), by tools/mkimage.py
#   $(BUILD)/bareflow-big.img  the same with the kernel padded to 2 MiB, for
#                              the large-kernel boot test
#
# The image takes stage1, stage2, $(BUILD)/kernel/kernel.bin (kernel/build.mk),
# boot/README.TXT, and every module in $(MODULE_BFMS) (modules/build.mk) as
# /MODULES/<NAME>.BFM (/MODULES exists even when there are none). Layout
# constants live in boot/layout.inc.

BOOT_STAGE1 := $(BUILD)/boot/stage1.bin
BOOT_STAGE2 := $(BUILD)/boot/stage2.bin
BOOT_IMAGE := $(BUILD)/bareflow.img
BOOT_BIG_IMAGE := $(BUILD)/bareflow-big.img
BOOT_KERNEL := $(BUILD)/kernel/kernel.bin
# Only the formatter's own files: volume.py and friends serve flowimg, and a
# change there must not rebuild (and so wipe) an image a user swapped modules into.
BOOT_MKIMAGE := tools/mkimage.py $(addprefix tools/fatimage/,__init__.py boot.py fat16.py errors.py)

# Sizes the layout reserves (boot/layout.inc: MBR_CODE_LIMIT, STAGE2_SECTORS).
BOOT_STAGE1_LIMIT := 440
BOOT_STAGE2_LIMIT := 16384

BOOT_NASM_FLAGS := -f bin -Iboot/

$(BOOT_STAGE1): boot/stage1.asm boot/layout.inc
	@mkdir -p $(@D)
	$(NASM) $(BOOT_NASM_FLAGS) -MD $@.d -o $@ $<
	@size=$$(stat -c %s $@); if [ $$size -gt $(BOOT_STAGE1_LIMIT) ]; then \
	  echo "boot: stage1 is $$size bytes; the MBR code area holds $(BOOT_STAGE1_LIMIT)" \
	       "(the disk signature and partition table follow it)" >&2; rm -f $@; exit 1; fi

$(BOOT_STAGE2): boot/stage2.asm boot/layout.inc boot/boot_info.inc $(wildcard boot/stage2/*.inc)
	@mkdir -p $(@D)
	$(NASM) $(BOOT_NASM_FLAGS) -MD $@.d -o $@ $<
	@size=$$(stat -c %s $@); if [ $$size -gt $(BOOT_STAGE2_LIMIT) ]; then \
	  echo "boot: stage2 is $$size bytes; its reserved sectors (LBA 1..32) hold $(BOOT_STAGE2_LIMIT)" >&2; \
	  rm -f $@; exit 1; fi

# /MODULES/NAME.BFM for each module; 8.3 names are checked by mkimage.
BOOT_MODULE_ADDS = $(foreach m,$(MODULE_BFMS),--add $(m)=/MODULES/$(shell echo $(notdir $(m)) | tr a-z A-Z))
BOOT_IMAGE_INPUTS = $(BOOT_STAGE1) $(BOOT_STAGE2) $(BOOT_KERNEL) boot/README.TXT $(MODULE_BFMS) $(BOOT_MKIMAGE)
BOOT_MKIMAGE_ARGS = --stage1 $(BOOT_STAGE1) --stage2 $(BOOT_STAGE2) --kernel $(BOOT_KERNEL) \
  --add boot/README.TXT=/README.TXT --mkdir /MODULES $(BOOT_MODULE_ADDS)

$(BOOT_IMAGE): $(BOOT_IMAGE_INPUTS)
	$(PYTHON) tools/mkimage.py $(BOOT_MKIMAGE_ARGS) -o $@

$(BOOT_BIG_IMAGE): $(BOOT_IMAGE_INPUTS)
	$(PYTHON) tools/mkimage.py $(BOOT_MKIMAGE_ARGS) --pad-kernel 2304K -o $@

.PHONY: boot
boot: $(BOOT_STAGE1) $(BOOT_STAGE2)
image: $(BOOT_IMAGE)

# The boot suite boots both images and the stub kernel built from tests/boot.
TEST_PREREQS += $(BOOT_IMAGE) $(BOOT_BIG_IMAGE) $(BOOT_STAGE1) $(BOOT_STAGE2)

# `make usb DEV=/dev/sdX [FORCE=1]`: write the image to a USB stick through
# tools/usbwrite.py, which refuses a mounted or built-in disk (FORCE=1 allows
# a built-in one), shows the model and size, and asks before it writes.
.PHONY: usb
usb: $(BOOT_IMAGE)
	@test -n "$(DEV)" || { echo "usage: make usb DEV=/dev/sdX [FORCE=1]  (the whole disk, e.g. /dev/sdb)" >&2; exit 2; }
	$(PYTHON) tools/usbwrite.py --image $(BOOT_IMAGE) $(if $(FORCE),--force) $(DEV)
