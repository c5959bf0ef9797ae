; tests/boot/stub_kernel.asm: a minimal kernel for testing the boot chain
; on its own, independent of the real kernel.
;
; It has the KernelHeader stage2 expects (kernel/boot_info.h), then prints
; what it was handed on COM1 in a fixed "key=hex" format that
; tests/boot/test_boot_chain.py parses, and leaves QEMU through isa-debug-exit
; with the poweroff value 0x10 (QEMU status 33).
;
;   stub: eax=49424642 ebx=00001000 cs=0008 ds=0010 ss=0010 eflags=00000002
;   cr0=00000011 drive=00000080 flags=00000001 e820=00000006 kaddr=00100000
;   ksize=000000E0 fat_lba=00000800 fat_sectors=0001F800 a20=00000000
;   tail=xxxxxxxx
;   stub: done
; (one line in reality; tail is the last dword of the loaded image, so a
; padded kernel proves its far end arrived.)

bits 32
org 0x100000

header:
    dd 0x4E4B4642                   ; magic "BFKN"
    dd 1                            ; version
    dd 32                           ; header_size
    dd 0                            ; image_size (mkimage)
    dd 0                            ; checksum (mkimage)
    dd entry                        ; entry
    dd image_end                    ; bss_end: no .bss
    dd 0                            ; reserved

entry:
    mov [saved_eax], eax            ; keep the hand-over registers before
    mov [saved_ebx], ebx            ; anything clobbers them
    pushfd
    pop dword [saved_eflags]
    mov esp, 0x90000                ; our own stack, as the contract says

    mov esi, msg_start
    call puts
    mov eax, [saved_eax]
    call put_hex
    mov esi, msg_ebx
    call puts
    mov eax, [saved_ebx]
    call put_hex
    mov esi, msg_cs
    call puts
    mov eax, cs
    call put_hex
    mov esi, msg_ds
    call puts
    mov eax, ds
    call put_hex
    mov esi, msg_ss
    call puts
    mov eax, ss
    call put_hex
    mov esi, msg_eflags
    call puts
    mov eax, [saved_eflags]
    call put_hex
    mov esi, msg_cr0
    call puts
    mov eax, cr0
    call put_hex

    ; BootInfo fields, by offset, with their names.
    mov ebx, [saved_ebx]
    mov edi, fields
.field:
    movzx ecx, byte [edi]           ; offset into BootInfo
    cmp cl, 0xFF
    je .fields_done
    lea esi, [edi + 1]
    call puts                       ; " name="
    mov eax, [ebx + ecx]
    call put_hex
    mov edi, esi                    ; puts leaves ESI past the NUL
    jmp .field
.fields_done:
    mov esi, msg_tail
    call puts
    mov eax, [ebx + 16]             ; kernel_address
    add eax, [ebx + 20]             ; + kernel_size
    mov eax, [eax - 4]              ; last dword of the image
    call put_hex
    mov esi, msg_done
    call puts

    mov dx, 0xF4                    ; isa-debug-exit: QEMU exits (0x10 << 1) | 1 = 33
    mov al, 0x10
    out dx, al
.halt:
    cli
    hlt
    jmp .halt

; Write the NUL-terminated string at ESI to COM1; ESI ends past the NUL.
puts:
    lodsb
    test al, al
    jz .done
    call putc
    jmp puts
.done:
    ret

putc:
    push edx
    push eax
    mov dx, 0x3FD                   ; LSR
.wait:
    in al, dx
    test al, 0x20                   ; transmitter holding register empty
    jz .wait
    pop eax
    mov dx, 0x3F8
    out dx, al
    pop edx
    ret

; EAX as 8 hex digits.
put_hex:
    push ecx
    mov ecx, 8
.digit:
    rol eax, 4
    push eax
    and al, 0x0F
    add al, '0'
    cmp al, '9'
    jbe .out
    add al, 'A' - '9' - 1
.out:
    call putc
    pop eax
    loop .digit
    pop ecx
    ret

saved_eax:    dd 0
saved_ebx:    dd 0
saved_eflags: dd 0

msg_start:  db "stub: eax=", 0
msg_ebx:    db " ebx=", 0
msg_cs:     db " cs=", 0
msg_ds:     db " ds=", 0
msg_ss:     db " ss=", 0
msg_eflags: db " eflags=", 0
msg_cr0:    db " cr0=", 0
msg_tail:   db " tail=", 0
msg_done:   db 13, 10, "stub: done", 13, 10, 0
fields:
    db 0,  " bi_magic=", 0
    db 4,  " bi_version=", 0
    db 8,  " flags=", 0
    db 12, " drive=", 0
    db 16, " kaddr=", 0
    db 20, " ksize=", 0
    db 24, " fat_lba=", 0
    db 28, " fat_sectors=", 0
    db 32, " a20=", 0
    db 36, " mem_lower=", 0
    db 40, " mem_upper=", 0
    db 44, " e820=", 0
    db 48, " disk_sig=", 0
    db 68, " e820_0_type=", 0
    db 72, " e820_0_attr=", 0
    db 0xFF
align 16
image_end:
