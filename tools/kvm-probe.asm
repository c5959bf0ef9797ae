; tools/kvm-probe.asm: a 64 KiB firmware image that answers one question:
; can this machine's KVM really run a BareFlow-like guest?
;
; /dev/kvm opening and QEMU starting with -enable-kvm prove little: some
; hosts provide a KVM that runs 32-bit unpaged guests through an
; instruction emulator, slowly and without SSE (QEMU then stops with "KVM
; internal error ... emulation failure" at the kernel's first ldmxcsr).
; This image, loaded with -bios in place of SeaBIOS, does in a few
; instructions what the kernel needs: real mode -> 32-bit protected mode,
; SSE/SSE2 enabled through CR0/CR4, an SSE2 computation checked, then
; isa-debug-exit with 0x10 (QEMU status 33). Anything else (a hang, an
; internal error, status 35) means "use TCG". Used by tools/qemu-run.sh and
; tests/boot/harness.py; assembled on the fly with nasm.

bits 16
org 0                               ; offsets within segment F000 (linear 0xF0000)

BASE equ 0xF0000                    ; the image's last 64 KiB alias below 1 MiB

start:
    cli
    o32 lgdt [cs:gdt_descriptor]    ; flat GDT, 32-bit base
    mov eax, cr0
    or al, 1                        ; CR0.PE
    mov cr0, eax
    jmp dword 0x08:BASE + protected

bits 32
protected:
    mov ax, 0x10
    mov ds, ax
    mov es, ax
    mov ss, ax
    mov esp, 0x8000                 ; RAM below 1 MiB
    mov eax, cr0
    and eax, ~(1 << 2)              ; CR0.EM off: SSE instructions allowed
    or eax, 1 << 1                  ; CR0.MP on
    mov cr0, eax
    mov eax, cr4
    or eax, (1 << 9) | (1 << 10)    ; CR4.OSFXSR, CR4.OSXMMEXCPT
    mov cr4, eax
    mov dword [0x7000], 0x1F80      ; default MXCSR
    ldmxcsr [0x7000]                ; the instruction an emulating KVM lacks
    pcmpeqd xmm0, xmm0              ; SSE2: all ones = -1 in each dword
    paddd xmm0, xmm0                ; -2 in each dword
    movdqu [0x7010], xmm0
    mov dx, 0xF4                    ; isa-debug-exit
    mov al, 0x10                    ; QEMU status 33: this KVM works
    cmp dword [0x701C], 0xFFFFFFFE
    je .exit
    mov al, 0x11                    ; status 35: wrong answer, do not trust it
.exit:
    out dx, al
.halt:
    hlt
    jmp .halt

align 8
gdt:
    dq 0
    dw 0xFFFF, 0x0000
    db 0x00, 0x9A, 0xCF, 0x00       ; 0x08: flat 32-bit code
    dw 0xFFFF, 0x0000
    db 0x00, 0x92, 0xCF, 0x00       ; 0x10: flat 32-bit data
gdt_descriptor:
    dw gdt_descriptor - gdt - 1
    dd BASE + gdt

    times 0xFFF0 - ($ - $$) db 0xFF
bits 16
reset_vector:                       ; the CPU starts at F000:FFF0
    jmp 0xF000:start
    times 0x10000 - ($ - $$) db 0xFF
