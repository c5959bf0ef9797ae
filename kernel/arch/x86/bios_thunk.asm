; kernel/arch/x86/bios_thunk.asm: call INT 13h from 32-bit protected mode.
;
; The BIOS's disk services (INT 13h, EDD 3.0 extended read/write AH=42h/43h)
; reach every disk the firmware can boot from (USB sticks on UHCI, EHCI or
; xHCI, AHCI, NVMe behind a CSM) but only in real mode. bios_thunk_call()
; goes there and back (Intel SDM Vol. 3A 9.9.2 "Switching Back to
; Real-Address Mode", 9.9.1 "Switching to Protected Mode"):
;   32-bit pmode -> far jump to a 16-bit code segment (0x28, base 0, 64 KiB)
;   -> 16-bit data segments (0x30, so the hidden limits are real-mode-like)
;   -> real-mode IDTR (the IVT: base 0, limit 0x3FF) -> CR0.PE off
;   -> far jump to segment 0 -> INT 13h with the caller's registers
;   -> the kernel's GDTR -> CR0.PE on -> far jump to 32-bit code (0x08)
;   -> the kernel's data segments, stack and IDTR.
;
; The 16-bit part (between thunk_blob and thunk_blob_end) must run below
; 64 KiB: bios_call.cpp copies it to BIOS_THUNK_ADDRESS (0x8000, the dead
; stage2 area; docs/architecture.md, "Memory map") once at boot, and every
; address it uses is THUNK_BASE + (label - thunk_blob). The real-mode stack
; is the loader's old one below 0x7C00.
;
; The caller (bios_call.cpp) has interrupts off and the PICs in the BIOS's
; layout (vectors 08h and 70h) around the call; paging is off throughout.
; The task register survives real mode (its hidden part is not touched), so
; it is not reloaded.

bits 32

%define THUNK_BASE      0x8000          ; BIOS_THUNK_ADDRESS in bios_call.h
%define REAL_STACK_TOP  0x7C00          ; the loader's real-mode stack, dead after boot
%define KERNEL_CODE     0x08
%define KERNEL_DATA     0x10
%define CODE16          0x28            ; REAL_MODE_CODE16_SELECTOR in descriptors.h
%define DATA16          0x30            ; REAL_MODE_DATA16_SELECTOR
%define REGS_SIZE       32              ; sizeof(BiosRegisters), bios_call.h

; Address of a blob label once the blob sits at THUNK_BASE.
%define LOW(label)      (THUNK_BASE + ((label) - thunk_blob))

global bios_thunk_call
global bios_thunk_blob_start, bios_thunk_blob_end

section .text

; void bios_thunk_call(BiosRegisters* registers): cdecl; registers in and out.
bios_thunk_call:
    push ebp                            ; callee-saved registers of the i386 SysV ABI
    push ebx                            ; callee-saved too
    push esi                            ; callee-saved too
    push edi                            ; callee-saved too
    mov [LOW(saved_esp)], esp           ; the way back to this frame
    mov esi, [esp + 20]                 ; the caller's BiosRegisters
    mov edi, LOW(registers)             ; copied into the blob, below 64 KiB
    mov ecx, REGS_SIZE / 4              ; sizeof(BiosRegisters) in dwords
    cld                                 ; rep movsd counts upwards
    rep movsd                           ; copy the register block
    sgdt [LOW(saved_gdtr)]              ; reloaded in real mode on the way back
    sidt [LOW(saved_idtr)]              ; reloaded once back in 32-bit code
    jmp CODE16:LOW(protected16)         ; into 16-bit protected mode, below 64 KiB

back_in_protected32:                    ; from real_mode's far jump, CS = 0x08
    mov ax, KERNEL_DATA                 ; the kernel's flat data selector
    mov ds, ax                          ; flat 4 GiB segments again
    mov es, ax                          ; (every data segment: the C++ code assumes flat ones)
    mov fs, ax
    mov gs, ax
    mov ss, ax
    mov esp, [LOW(saved_esp)]           ; the kernel stack, as it was
    lidt [LOW(saved_idtr)]              ; the kernel's exception and IRQ gates
    mov esi, LOW(registers)             ; the BIOS's results...
    mov edi, [esp + 20]                 ; ...back to the caller's BiosRegisters
    mov ecx, REGS_SIZE / 4              ; sizeof(BiosRegisters) in dwords
    cld                                 ; rep movsd counts upwards
    rep movsd                           ; copy the register block
    pop edi                             ; restore the callee-saved registers
    pop esi
    pop ebx
    pop ebp
    ret                                 ; back to bios_call.cpp, interrupts still off

; --- copied below 64 KiB; runs at THUNK_BASE ---------------------------------
align 16
bios_thunk_blob_start:
thunk_blob:
bits 16
protected16:                            ; CS = 0x28: 16-bit code, base 0
    mov ax, DATA16                      ; 16-bit data selector, base 0, limit 64 KiB
    mov ds, ax                          ; 64 KiB limits in every hidden
    mov es, ax                          ; descriptor cache, as real mode
    mov fs, ax                          ; expects them
    mov gs, ax
    mov ss, ax
    mov esp, REAL_STACK_TOP             ; a stack below 64 KiB
    lidt [LOW(real_mode_idtr)]          ; the IVT: vectors as the BIOS set them
    mov eax, cr0                        ; read-modify-write: keep the other CR0 bits
    and eax, ~1                         ; CR0.PE off (paging is off already)
    mov cr0, eax                        ; the switch takes effect at the next far jump
    jmp 0:LOW(real_mode)                ; reload CS with a real-mode segment

real_mode:
    xor ax, ax                          ; segment 0
    mov ss, ax                          ; real-mode stack in segment 0
    mov sp, REAL_STACK_TOP              ; its top, below the old MBR
    mov ds, ax                          ; the register block is in segment 0
    mov eax, [LOW(registers) + 0]       ; BiosRegisters.eax
    mov ebx, [LOW(registers) + 4]       ; BiosRegisters.ebx
    mov ecx, [LOW(registers) + 8]       ; BiosRegisters.ecx
    mov edx, [LOW(registers) + 12]      ; BiosRegisters.edx (DL = drive)
    mov esi, [LOW(registers) + 16]      ; BiosRegisters.esi (SI = packet offset)
    mov edi, [LOW(registers) + 20]      ; BiosRegisters.edi
    mov es, [LOW(registers) + 26]       ; BiosRegisters.es
    mov ds, [LOW(registers) + 24]       ; BiosRegisters.ds, last: it ends our access
    sti                                 ; the BIOS's disk code may wait on IRQs
    int 0x13                            ; INT 13h: the function is in AH
    cli                                 ; no interrupts across the mode switch
    mov [cs:LOW(registers) + 0], eax    ; CS = 0: results go back through CS
    mov [cs:LOW(registers) + 4], ebx    ; BX: AH=41h's AA55h
    mov [cs:LOW(registers) + 8], ecx    ; CX: AH=41h's feature bits
    mov [cs:LOW(registers) + 12], edx
    mov [cs:LOW(registers) + 16], esi
    mov [cs:LOW(registers) + 20], edi
    mov [cs:LOW(registers) + 24], ds
    mov [cs:LOW(registers) + 26], es
    pushfd                              ; CF (error) and the rest of FLAGS
    pop dword [cs:LOW(registers) + 28]  ; BiosRegisters.eflags
    xor ax, ax                          ; segment 0
    mov ds, ax                          ; DS = 0 for the lgdt operand below
    o32 lgdt [LOW(saved_gdtr)]          ; the kernel's GDT, 32-bit base (above 1 MiB)
    mov eax, cr0                        ; read-modify-write: keep the other CR0 bits
    or eax, 1                           ; CR0.PE on
    mov cr0, eax                        ; the switch takes effect at the next far jump
    jmp dword KERNEL_CODE:back_in_protected32 ; 32-bit offset: the kernel is above 1 MiB

align 4
registers:      times REGS_SIZE db 0    ; BiosRegisters, in and out
saved_esp:      dd 0                    ; the kernel stack pointer at the call
    dw 0                                ; aligns the base of saved_gdtr
saved_gdtr:     dw 0                    ; limit
                dd 0                    ; base
    dw 0
saved_idtr:     dw 0
                dd 0
    dw 0
real_mode_idtr: dw 0x3FF                ; 256 vectors of 4 bytes
                dd 0                    ; at linear 0
thunk_blob_end:
bios_thunk_blob_end:
bits 32

section .note.GNU-stack noalloc noexec nowrite progbits ; no executable stack
