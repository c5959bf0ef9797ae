; boot/stage2.asm: the second stage. Stage1 loads it to 0000:7E00 and jumps
; to its entry (offset 16) with DL = boot drive, in real mode.
;
; In order:
;   1. enable A20 (stage2/a20.inc), so odd megabytes are reachable;
;   2. read the BIOS memory map: E820, else E801 (stage2/memory.inc);
;   3. find the FAT16 partition in the MBR that is still at 0000:7C00;
;   4. load the kernel from the disk gap to 1 MiB, 64 sectors at a time,
;      through a bounce buffer below 1 MiB and a protected-mode copy
;      thunk (stage2/disk.inc);
;   5. switch to 32-bit protected mode with a flat GDT, check the kernel's
;      CRC-32 and jump to it with EAX = BOOT_INFO_MAGIC, EBX = &BootInfo
;      (stage2/pmode.inc; the contract is kernel/boot_info.h).
; Every failure prints "BareFlow stage2: <what>" on screen and COM1 and halts.
;
; The first 16 bytes are a header that stage1 and tools/mkimage.py know
; (boot/layout.inc). Needs a 386 or later.

%include "layout.inc"
%include "boot_info.inc"

CODE_SEL equ 0x08                   ; GDT selectors, as kernel/boot_info.h
DATA_SEL equ 0x10                   ; promises the kernel

bits 16
org STAGE2_ADDR

header:
    dd STAGE2_MAGIC                 ; stage1 checks this first
    dw 0                            ; checksum word, set by mkimage
    dw 0                            ; reserved
kernel_lba:
    dd 0                            ; first kernel sector, set by mkimage
    dd 0                            ; reserved
%if ($ - $$) != STAGE2_ENTRY_OFF
%error "stage2 header must be exactly STAGE2_ENTRY_OFF bytes"
%endif

entry:
    cli                             ; segments are about to change
    xor ax, ax
    mov ds, ax                      ; stage2 addresses everything via segment 0
    mov es, ax                      ; ES = 0: E820 and string ops write through ES
    mov ss, ax                      ; stack in segment 0
    mov sp, STACK_TOP               ; same stack stage1 used
    sti                             ; BIOS services need interrupts
    cld
    mov [boot_drive], dl            ; stage1 hands the drive over in DL

    call serial_init                ; mirror messages on COM1 for headless boots
    call clear_boot_info            ; 0x1000: zeroed, magic and version set
    call enable_a20                 ; so 1 MiB+ does not wrap to 0
    call detect_memory              ; E820 into BootInfo, or E801
    call find_high_memory_end       ; how much RAM the kernel may use
    call find_fat_partition         ; BootInfo.fat_lba / fat_sectors
    call load_kernel                ; to 1 MiB; returns only on success

    ; One line saying what was found: useful on a real machine's screen.
    mov si, msg_summary_kernel
    call print
    mov eax, [BOOT_INFO_ADDR + BI_KERNEL_SIZE]
    call print_decimal
    mov si, msg_summary_e820
    call print
    mov eax, [BOOT_INFO_ADDR + BI_E820_COUNT]
    call print_decimal
    mov si, msg_summary_a20
    call print
    mov eax, [BOOT_INFO_ADDR + BI_A20_METHOD]
    call print_decimal
    mov si, msg_newline
    call print

    ; Into 32-bit protected mode for good (Intel SDM Vol. 3A, 9.9.1
    ; "Switching to Protected Mode").
    cli                             ; no IDT for protected mode yet
    lgdt [gdt_descriptor]           ; flat code 0x08, data 0x10
    mov eax, cr0                    ; read-modify-write: keep the other bits
    or al, 1                        ; CR0.PE
    mov cr0, eax                    ; protected mode, still 16-bit code until the jump
    jmp dword CODE_SEL:protected_entry  ; far jump loads CS, flushes prefetch

; Zero the BootInfo and fill what is known from the start.
clear_boot_info:
    mov di, BOOT_INFO_ADDR          ; ES:DI = the BootInfo
    mov cx, BI_SIZE / 2             ; in words
    xor ax, ax
    rep stosw                       ; ES = 0 here
    mov dword [BOOT_INFO_ADDR + BI_MAGIC], BOOT_INFO_MAGIC ; "BFBI"
    mov dword [BOOT_INFO_ADDR + BI_VERSION], BOOT_INFO_VERSION ; layout version of kernel/boot_info.h
    movzx eax, byte [boot_drive]    ; the BIOS drive number, widened
    mov [BOOT_INFO_ADDR + BI_BOOT_DRIVE], eax
    mov dword [BOOT_INFO_ADDR + BI_KERNEL_ADDRESS], KERNEL_ADDR ; always 1 MiB
    ret

; The MBR stage1 came from is still at 0000:7C00. Hand over its disk
; signature (bytes 440-443), which names the boot disk to the kernel however
; it reaches the disk later; then take the first partition of a FAT16 type
; (04h/06h/0Eh) and hand its place over; none leaves zeros, and the kernel
; says so itself.
find_fat_partition:
    mov eax, [STAGE1_ADDR + MBR_DISK_SIGNATURE] ; the MBR's 32-bit disk signature
%ifdef TEST_WRONG_DISK_SIGNATURE
    not eax                         ; tests/boot/test_boot_disk.py: a disk nobody carries
%endif
    mov [BOOT_INFO_ADDR + BI_DISK_SIGNATURE], eax ; BootInfo.disk_signature
    mov si, STAGE1_ADDR + MBR_PARTITIONS ; first partition entry
    mov cx, 4                       ; four primary entries
.next:
    mov al, [si + 4]                ; partition type byte
    cmp al, 0x06                    ; FAT16, 32 MiB or more
    je .found
    cmp al, 0x04                    ; FAT16, under 32 MiB
    je .found
    cmp al, 0x0E                    ; FAT16, LBA-addressed
    je .found
    add si, 16                      ; next entry
    loop .next
    ret
.found:
    mov eax, [si + 8]               ; first sector (LBA)
    mov [BOOT_INFO_ADDR + BI_FAT_LBA], eax ; BootInfo.fat_lba
    mov eax, [si + 12]              ; sector count
    mov [BOOT_INFO_ADDR + BI_FAT_SECTORS], eax ; BootInfo.fat_sectors
    ret

; Print "BareFlow stage2: " and the message at SI, then halt.
fail:
    push si
    mov si, msg_prefix
    call print
    pop si
    call print
.halt:
    cli
    hlt
    jmp .halt                       ; an NMI can end hlt: halt again

%include "stage2/print.inc"
%include "stage2/a20.inc"
%include "stage2/memory.inc"
%include "stage2/disk.inc"

; Flat GDT (Intel SDM Vol. 3A, 3.4.5 "Segment Descriptors"): base 0,
; limit 4 GiB with 4 KiB granularity, 32-bit. Used by the copy thunk and by
; the kernel hand-over; the kernel loads its own GDT.
align 8
gdt:
    dq 0                            ; the null descriptor
    dw 0xFFFF, 0x0000               ; 0x08 code: limit 15:0, base 15:0
    db 0x00, 0x9A, 0xCF, 0x00       ;   base 23:16, present ring-0 code r/x, G=1 D=1, base 31:24
    dw 0xFFFF, 0x0000               ; 0x10 data: limit 15:0, base 15:0
    db 0x00, 0x92, 0xCF, 0x00       ;   base 23:16, present ring-0 data r/w, G=1 B=1, base 31:24
gdt_end:
gdt_descriptor:
    dw gdt_end - gdt - 1            ; limit
    dd gdt                          ; linear base (segment 0: same as offset)

boot_drive:     db 0
high_mem_end:   dd 0                ; end of usable RAM contiguous from 1 MiB
kernel_entry:   dd 0                ; from the KernelHeader, checked in range

msg_prefix:         db "BareFlow stage2: ", 0
msg_summary_kernel: db "BareFlow stage2: kernel ", 0
msg_summary_e820:   db " bytes, E820 entries ", 0
msg_summary_a20:    db ", A20 method ", 0
msg_newline:        db 13, 10, 0

%include "stage2/pmode.inc"
