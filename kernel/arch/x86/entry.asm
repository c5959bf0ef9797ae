; The kernel's first instructions: from the boot loader's hand-over to
; kernel_main(BootInfo*).
;
; stage2 jumps here in flat 32-bit protected mode, interrupts off, with
; EAX = BOOT_INFO_MAGIC and EBX = &BootInfo (kernel/boot_info.h). In order:
;   1. check the magic (a kernel started by anything else stops with a message)
;   2. switch to our own stack and clear .bss
;   3. load the kernel's GDT (gdt.cpp adds the TSS descriptors later)
;   4. check CPUID for SSE2 and enable SSE through CR0/CR4; enable AVX state
;      through XCR0 when the CPU offers XSAVE and AVX
;   5. run the global constructors (.init_array)
;   6. call kernel_main(BootInfo*)
; Until kernel_main sets up the console, a failure can only print through
; early_fail below (COM1 and the top line of the VGA screen), then exit QEMU
; through isa-debug-exit (status 35) and halt.

bits 32

%define BOOT_INFO_MAGIC     0x49424642      ; "BFBI", kernel/boot_info.h
%define KERNEL_HEADER_MAGIC 0x4E4B4642      ; "BFKN"
%define STACK_SIZE          (256 * 1024)    ; JIT code and the interpreter recurse
%define STACK_FILL          0x57AC57AC      ; kernel/arch/x86/stack.h
%define COM1                0x3F8
%define DEBUG_EXIT_PORT     0xF4
%define EXIT_PANIC          0x11            ; QEMU exits with (0x11 << 1) | 1 = 35

; Bits of kernel_cpu_enabled (mirrored in kernel/arch/x86/cpu.h).
%define ENABLED_SSE         (1 << 0)        ; CR0.EM=0 MP=1, CR4.OSFXSR, OSXMMEXCPT
%define ENABLED_XSAVE       (1 << 1)        ; CR4.OSXSAVE
%define ENABLED_AVX         (1 << 2)        ; XCR0 bits 1 and 2 (SSE and AVX state)

extern kernel_main
extern __image_end, __bss_end, __kernel_start
extern __init_array_start, __init_array_end

global kernel_entry
global kernel_stack_bottom, kernel_stack_top
global kernel_boot_info
global kernel_cpu_enabled
global gdt_table, gdt_pointer
global kernel_tss

; --- the KernelHeader (kernel/boot_info.h); linker.ld puts it at 1 MiB ------
section .kernel_header progbits alloc noexec nowrite align=4
    dd KERNEL_HEADER_MAGIC
    dd 1                    ; version
    dd 32                   ; header_size
    dd 0                    ; image_size: written by tools/mkimage.py
    dd 0                    ; checksum: written by tools/mkimage.py
    dd kernel_entry         ; entry
    dd __bss_end            ; bss_end
    dd 0                    ; reserved

section .text.entry progbits alloc exec nowrite align=16
kernel_entry:
    cli                                     ; stage2 said so; be sure
    cld                                     ; rep stosd below counts upwards
    cmp eax, BOOT_INFO_MAGIC
    jne .bad_magic

    ; The BootInfo must not lie where .bss is about to be cleared.
    cmp ebx, __bss_end
    jae .boot_info_ok
    cmp ebx, __kernel_start
    jae .bad_boot_info
.boot_info_ok:
    mov esp, kernel_stack_top

    ; Clear [__image_end, __bss_end): the stack itself is in there, which is
    ; fine, nothing has been pushed yet. EBX is not touched.
    mov edi, __image_end
    mov ecx, __bss_end
    sub ecx, edi
    shr ecx, 2                              ; both ends are 16-byte aligned
    xor eax, eax
    rep stosd
    mov [kernel_boot_info], ebx

    ; Fill the stack with a known word: stack.cpp reads the deepest use from
    ; it, and the lowest words serve as a guard checked on every interrupt.
    mov edi, kernel_stack_bottom
    mov ecx, STACK_SIZE / 4
    mov eax, STACK_FILL
    rep stosd

    ; Our own GDT, so nothing depends on where stage2 left its table.
    lgdt [gdt_pointer]
    jmp 0x08:.reload_cs                     ; far jump reloads CS
.reload_cs:
    mov ax, 0x10
    mov ds, ax
    mov es, ax
    mov fs, ax
    mov gs, ax
    mov ss, ax

    ; A valid task register and LDTR from the start: the loader leaves TR as
    ; the BIOS had it (selector 0), and a task switch (the double-fault task
    ; gate, descriptors.cpp) saves the outgoing state in the TSS that TR
    ; names. The descriptor is built here because its base is split across
    ; fields (Intel SDM Vol. 3A Figure 7-3), which the assembler cannot do
    ; with a relocated address.
    mov eax, kernel_tss
    mov word [gdt_table + 0x18 + 0], 103    ; limit 15:0 (104-byte TSS)
    mov [gdt_table + 0x18 + 2], ax          ; base 15:0
    shr eax, 16
    mov [gdt_table + 0x18 + 4], al          ; base 23:16
    mov byte [gdt_table + 0x18 + 5], 0x89   ; present, DPL 0, available 32-bit TSS
    mov byte [gdt_table + 0x18 + 6], 0      ; limit 19:16, byte granularity
    mov [gdt_table + 0x18 + 7], ah          ; base 31:24
    mov word [kernel_tss + 8], 0x10         ; SS0
    mov word [kernel_tss + 102], 104        ; I/O map base beyond the limit: no bitmap
    mov ax, 0x18
    ltr ax
    xor eax, eax
    lldt ax                                 ; no LDT

    call enable_sse                         ; halts with a message if impossible

    ; Global constructors. Calls are made with ESP 16-byte aligned, as
    ; -mpreferred-stack-boundary=4 code expects (i386 System V ABI).
    and esp, -16
    mov esi, __init_array_start
.next_constructor:
    cmp esi, __init_array_end
    jae .constructors_done
    call [esi]
    add esi, 4
    jmp .next_constructor
.constructors_done:

    sub esp, 12                             ; keep the call site aligned
    push dword [kernel_boot_info]
    call kernel_main
    ; kernel_main never returns; if it did, stop here.
.halt:
    cli
    hlt
    jmp .halt

.bad_magic:
    mov esi, msg_bad_magic
    jmp early_fail
.bad_boot_info:
    mov esi, msg_bad_boot_info
    jmp early_fail

; enable_sse: CPUID must exist (EFLAGS.ID toggles, Intel SDM Vol. 1 19.1) and
; report FXSR and SSE2 (CPUID.1:EDX bits 24, 26). Then Intel SDM Vol. 3A 13.1.3:
; CR0.EM = 0, CR0.MP = 1, CR4.OSFXSR = 1, CR4.OSXMMEXCPT = 1. CR0.NE = 1 for
; native x87 error reporting. XSAVE/AVX (Vol. 1 13.3, Vol. 3A 2.6): when
; CPUID.1:ECX reports XSAVE (bit 26) and AVX (bit 28) and CPUID.(0Dh,0):EAX
; allows the AVX state, set CR4.OSXSAVE and XCR0 = x87 | SSE | AVX.
enable_sse:
    pushfd
    pop eax
    mov ecx, eax
    xor eax, 1 << 21                        ; try to flip EFLAGS.ID
    push eax
    popfd
    pushfd
    pop eax
    push ecx                                ; restore the original EFLAGS
    popfd
    xor eax, ecx
    test eax, 1 << 21
    jz .no_sse2                             ; no CPUID: a 486 or older

    mov eax, 1
    cpuid
    test edx, 1 << 24                       ; FXSR: FXSAVE/FXRSTOR
    jz .no_sse2
    test edx, 1 << 26                       ; SSE2
    jz .no_sse2
    mov esi, ecx                            ; keep CPUID.1:ECX for XSAVE/AVX

    mov eax, cr0
    and eax, ~(1 << 2)                      ; EM = 0: no x87 emulation
    or eax, (1 << 1) | (1 << 5)             ; MP = 1, NE = 1
    mov cr0, eax
    mov eax, cr4
    or eax, (1 << 9) | (1 << 10)            ; OSFXSR, OSXMMEXCPT
    mov cr4, eax
    fninit
    push dword 0x1F80                       ; MXCSR: all SSE exceptions masked, round to nearest
    ldmxcsr [esp]                           ; (its reset value, but the BIOS may have changed it)
    add esp, 4
    or dword [kernel_cpu_enabled], ENABLED_SSE

    ; AVX state, only when every piece is there.
    mov eax, esi
    and eax, (1 << 26) | (1 << 28)
    cmp eax, (1 << 26) | (1 << 28)
    jne .done
    xor eax, eax
    cpuid                                   ; highest basic leaf
    cmp eax, 0x0D
    jb .done
    mov eax, 0x0D
    xor ecx, ecx
    cpuid                                   ; EAX = XCR0 bits the CPU supports
    and eax, 7
    cmp eax, 7
    jne .done
    mov eax, cr4
    or eax, 1 << 18                         ; OSXSAVE
    mov cr4, eax
    or dword [kernel_cpu_enabled], ENABLED_XSAVE
    xor ecx, ecx                            ; XCR0
    xor edx, edx
    mov eax, 7                              ; x87 | SSE | AVX
    xsetbv
    or dword [kernel_cpu_enabled], ENABLED_AVX
.done:
    ret
.no_sse2:
    mov esi, msg_no_sse2
    jmp early_fail

; early_fail: prints the NUL-terminated string at ESI on COM1 (115200 8N1,
; polled) and on the first VGA line, exits QEMU with status 35 through
; isa-debug-exit, and halts. Usable before anything else is set up.
global early_fail
early_fail:
    mov dx, COM1 + 1
    xor al, al
    out dx, al                              ; IER: no interrupts
    mov dx, COM1 + 3
    mov al, 0x80
    out dx, al                              ; LCR: DLAB on
    mov dx, COM1
    mov al, 1
    out dx, al                              ; divisor 1 = 115200 baud
    mov dx, COM1 + 1
    xor al, al
    out dx, al
    mov dx, COM1 + 3
    mov al, 0x03
    out dx, al                              ; 8N1, DLAB off
    mov edi, 0xB8000                        ; VGA text, row 0
.next_char:
    lodsb
    test al, al
    jz .finished
    mov ah, al
    mov dx, COM1 + 5
.wait_tx:
    in al, dx
    test al, 0x20                           ; LSR: transmit holding register empty
    jz .wait_tx
    mov al, ah
    mov dx, COM1
    out dx, al
    cmp al, 10
    je .next_char                           ; newlines go to serial only
    cmp al, 13
    je .next_char
    mov byte [edi], al
    mov byte [edi + 1], 0x4F                ; white on red
    add edi, 2
    jmp .next_char
.finished:
    mov dx, DEBUG_EXIT_PORT
    mov al, EXIT_PANIC
    out dx, al                              ; QEMU exits here; a real PC ignores it
.stop:
    cli
    hlt
    jmp .stop

section .rodata
msg_bad_magic:
    db 13, 10, "BareFlow: not started by the BareFlow loader (EAX lacks the boot magic); halting.", 13, 10, 0
msg_bad_boot_info:
    db 13, 10, "BareFlow: the BootInfo lies inside the kernel's memory; halting.", 13, 10, 0
msg_no_sse2:
    db 13, 10, "BareFlow needs a CPU with SSE2 (and FXSAVE); this CPU has none. Halting.", 13, 10, 0

section .data
align 16
; The GDT (Intel SDM Vol. 3A 3.4.5). Flat 4 GiB code and data, as stage2 set
; them up, so the selectors 0x08/0x10 keep their meaning. Entries 3 and 4 are
; the TSS descriptors, filled by gdt.cpp (the double fault runs on its own
; task and stack, so a broken stack cannot become a triple fault).
gdt_table:
    dq 0                                    ; 0x00: null
    dq 0x00CF9A000000FFFF                   ; 0x08: code, base 0, limit 4 GiB, 32-bit, ring 0
    dq 0x00CF92000000FFFF                   ; 0x10: data, base 0, limit 4 GiB, ring 0
    dq 0                                    ; 0x18: TSS of the kernel task
    dq 0                                    ; 0x20: TSS of the double-fault task
    dq 0x00009A000000FFFF                   ; 0x28: 16-bit code, base 0, limit 64 KiB (bios_thunk.asm's way to real mode)
    dq 0x000092000000FFFF                   ; 0x30: 16-bit data, base 0, limit 64 KiB (real-mode-like segment limits)
gdt_end:
align 4
    dw 0                                    ; pads the base to a 4-byte boundary
gdt_pointer:
    dw gdt_end - gdt_table - 1
    dd gdt_table
kernel_cpu_enabled:
    dd 0

section .bss
alignb 16
kernel_tss:                                 ; TaskStateSegment (descriptors.h)
    resb 104
alignb 16
kernel_boot_info:
    resd 1
alignb 16
kernel_stack_bottom:
    resb STACK_SIZE
kernel_stack_top:

section .note.GNU-stack noalloc noexec nowrite progbits ; no executable stack
