; tools/kvm_probe.asm: can this host's KVM run BareFlow's kind of guest?
;
; /dev/kvm being present and QEMU starting with -enable-kvm is not enough:
; some hosts' KVM runs 32-bit guests only through its instruction emulator,
; which stops with "KVM internal error" at the first SSE instruction. This
; probe is a multiboot image (QEMU's -kernel loads it straight into 32-bit
; protected mode, as stage2 leaves the kernel) that does what the kernel does
; first: enable SSE through CR0/CR4, load MXCSR and compute with SSE. It then
; leaves through isa-debug-exit with 0x10 (QEMU status 33). Anything else
; (internal error, hang, other status) means: use TCG.

bits 32
org 0x00200000

MB_MAGIC equ 0x1BADB002
MB_FLAGS equ 0x00010000                 ; bit 16: the address fields below are valid

header:
    dd MB_MAGIC
    dd MB_FLAGS
    dd -(MB_MAGIC + MB_FLAGS)           ; checksum: the three fields sum to 0
    dd header                           ; header_addr
    dd header                           ; load_addr
    dd image_end                        ; load_end_addr
    dd image_end                        ; bss_end_addr (no .bss)
    dd entry                            ; entry_addr

entry:
    cli
    mov esp, stack_top
    mov eax, cr0
    and eax, ~(1 << 2)                  ; CR0.EM = 0: no x87 emulation
    or eax, 1 << 1                      ; CR0.MP = 1
    mov cr0, eax
    mov eax, cr4
    or eax, (1 << 9) | (1 << 10)        ; CR4.OSFXSR | CR4.OSXMMEXCPT
    mov cr4, eax
    push dword 0x1F80                   ; MXCSR default: all exceptions masked
    ldmxcsr [esp]                       ; the first instruction emulators refuse
    add esp, 4
    movss xmm0, [three]
    mulss xmm0, xmm0                    ; 9.0
    cvttss2si eax, xmm0
    cmp eax, 9
    jne .fail
    mov al, 0x10                        ; success: QEMU exits with 33
    jmp .out
.fail:
    mov al, 0x11                        ; wrong answer: QEMU exits with 35
.out:
    out 0xF4, al                        ; isa-debug-exit
.halt:
    hlt
    jmp .halt

align 4
three: dd 3.0
align 16
    times 256 db 0
stack_top:
image_end:
