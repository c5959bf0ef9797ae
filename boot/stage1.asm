; boot/stage1.asm: the MBR. The BIOS loads it to 0000:7C00 and jumps to it.
;
; Its one job: load stage2 from the sectors right after the MBR (LBA 1..32),
; check stage2's magic and checksum, and jump to it with DL = boot drive.
; Anything unexpected prints a short message and halts: a loud stop beats a
; silent hang on somebody's real PC.
;
; This file assembles to the code part of the MBR only (at most 440 bytes).
; tools/mkimage.py adds the disk signature (offset 440), the partition table
; (offset 446) and the 0x55AA boot signature (offset 510); boot/build.mk fails
; the build if the code grows past 440 bytes.
;
; Needs a 386 (32-bit registers in the checks) and BIOS Enhanced Disk Drive
; services (INT 13h AH=41h/42h, "EDD 3.0", Phoenix/T13 D1572).

%include "layout.inc"

bits 16
org STAGE1_ADDR

start:
    jmp short after_bpb             ; x86 boot sectors start with jmp short + nop:
    nop                             ; some BIOSes check for EB xx 90 before booting

; A dummy BIOS Parameter Block. Some BIOSes booting a USB stick in floppy/ZIP
; emulation patch "geometry" into bytes 3..89, where a FAT BPB would be. Keep
; them free so the patch lands on zeros, not on code.
    times 90 - ($ - $$) db 0        ; bytes 3..89, the size of a FAT32 BPB

after_bpb:
    cli                             ; no interrupts while segments are half set
    jmp 0x0000:normalised           ; some BIOSes enter at 07C0:0000: make CS = 0
normalised:
    xor ax, ax
    mov ds, ax                      ; everything below lives in segment 0
    mov es, ax                      ; ES too: string ops and BIOS buffers
    mov ss, ax                      ; SS:SP set back to back (interrupts are off)
    mov sp, STACK_TOP               ; stack grows down from just below us
    sti                             ; the BIOS needs interrupts for disk I/O
    cld                             ; string ops go forward

%ifdef TEST_DISABLE_A20
    ; Test builds only (tests/boot/test_boot_chain.py): mask A20 through
    ; port 92h, as an old BIOS would leave it, so stage2 has to open it.
    in al, 0x92                     ; system control port A
    and al, 0xFC                    ; bit 1 = A20, bit 0 = reset: both clear
    out 0x92, al                    ; A20 masked from here on
%endif

    ; DL holds the boot drive. A hard disk or USB stick booted as one is
    ; 80h..FFh; a few BIOSes pass garbage with bit 7 clear. Booting from this
    ; MBR means we are on a hard disk, so fall back to the first one (80h).
    test dl, 0x80                   ; hard disks are 80h and up
    jnz .drive_ok
    mov dl, 0x80                    ; garbage: assume the first hard disk
.drive_ok:
    mov [boot_drive], dl            ; BIOS calls may clobber DL: keep a copy

    ; INT 13h AH=41h "check extensions present": CF clear, BX = AA55h, and
    ; CX bit 0 = "device access using the packet structure" (AH=42h) supported.
    mov ah, 0x41                    ; function: installation check
    mov bx, 0x55AA                  ; required input signature
    mov dl, [boot_drive]            ; drive to ask about
    int 0x13
    jc no_lba                       ; CF set: no extensions at all
    cmp bx, 0xAA55                  ; BIOS swaps the bytes to prove it answered
    jne no_lba                      ; anything else: not really EDD
    test cl, 1                      ; bit 0: the packet (AH=42h) interface
    jz no_lba                       ; EDD without packet reads is no use here

    ; INT 13h AH=42h "extended read": DS:SI -> disk address packet.
    mov si, disk_address_packet     ; what to read, and where to
    mov ah, 0x42                    ; function: extended read
    mov dl, [boot_drive]            ; reloaded: AH=41h may have changed DL
    int 0x13
    jc read_failed                  ; CF set: AH holds the error code

    ; Stage2 must start with its magic, and the 16-bit word sum of its whole
    ; reserved area must be zero (mkimage sets the checksum word to make it so).
    cmp dword [STAGE2_ADDR], STAGE2_MAGIC ; 'BFS2': is it stage2 at all?
    jne bad_stage2
    mov si, STAGE2_ADDR             ; sum from the first byte
    mov cx, STAGE2_SECTORS * 256    ; 256 words per sector
    xor dx, dx                      ; DX = running 16-bit sum
.sum:
    lodsw                           ; AX = next word of stage2
    add dx, ax                      ; carries out of bit 15 are dropped: mod 2^16
    loop .sum                       ; CX words to go
    test dx, dx                     ; mkimage made the sum zero
    jnz bad_stage2                  ; a flipped bit anywhere shows here

    mov dl, [boot_drive]            ; stage2's contract: DL = boot drive
    jmp 0x0000:STAGE2_ADDR + STAGE2_ENTRY_OFF ; past the 16-byte header

no_lba:
    mov si, msg_no_lba              ; say what failed...
    jmp fail                        ; ...and stop
read_failed:
    mov si, msg_read
    jmp fail
bad_stage2:
    mov si, msg_stage2              ; falls through into fail

; Print the NUL-terminated message at DS:SI, then halt for good. The message
; goes to the screen (INT 10h AH=0Eh teletype) and is mirrored to COM1's
; transmit register so a headless machine (QEMU -display none) shows it too.
fail:
    lodsb                           ; AL = next character
    test al, al                     ; NUL ends the message
    jz .halt
    mov dx, 0x3F8                   ; COM1 THR; best effort, no polling needed
    out dx, al                      ; for a few bytes on an idle UART
    mov ah, 0x0E                    ; INT 10h AH=0Eh: teletype output
    mov bx, 0x0007                  ; page 0, light grey
    int 0x10
    jmp fail                        ; next character
.halt:
    cli                             ; nothing can wake us now...
    hlt                             ; sleep until an interrupt that cannot come
    jmp .halt                       ; ...but an NMI could: halt again

msg_no_lba: db "BareFlow stage1: BIOS lacks INT 13h LBA extensions", 13, 10, 0
msg_read:   db "BareFlow stage1: disk read error", 13, 10, 0
msg_stage2: db "BareFlow stage1: stage2 corrupt (magic/checksum)", 13, 10, 0

boot_drive: db 0

; EDD disk address packet for AH=42h: read all of stage2's reserved sectors
; to 0000:7E00. 32 sectors (16 KiB) end at 0xBE00: no 64 KiB crossing.
align 4
disk_address_packet:
    db 16                           ; packet size
    db 0                            ; reserved
    dw STAGE2_SECTORS               ; sectors to read
    dw STAGE2_ADDR, 0               ; buffer offset, segment
    dq STAGE2_LBA                   ; first sector
