; Interrupt and exception entry stubs (vectors 0-31 CPU exceptions, 32-47
; the remapped PIC IRQs). Each stub pushes a dummy error code when the CPU
; does not push one (Intel SDM Vol. 3A Table 6-1), then its vector, and jumps
; to interrupt_common, which saves the rest as an InterruptFrame
; (interrupt_frame.h) and calls interrupt_dispatch(InterruptFrame*).
;
; The x87/SSE state is saved with FXSAVE around the C handler: kernel C++ is
; built with -msse2 and may use XMM registers, which the interrupted code
; (JIT-compiled code above all) owns.
;
; Vector 8 (double fault) is a task gate (gdt.cpp), so it has no stub here:
; double_fault_task_entry runs on its own TSS and stack.

bits 32

extern interrupt_dispatch
extern double_fault_handler

global interrupt_stub_table
global double_fault_task_entry

%macro STUB_NO_ERROR 1
interrupt_stub_%1:
    push dword 0                            ; no CPU error code: keep the frame uniform
    push dword %1
    jmp interrupt_common
%endmacro

%macro STUB_WITH_ERROR 1
interrupt_stub_%1:
    push dword %1                           ; the CPU already pushed the error code
    jmp interrupt_common
%endmacro

section .text
interrupt_common:
    push ds
    push es
    push fs
    push gs
    pushad
    mov ax, 0x10                            ; flat data, whatever was loaded before
    mov ds, ax
    mov es, ax
    mov ebx, esp                            ; EBX = InterruptFrame*, callee-saved
    and esp, -16                            ; FXSAVE needs 16-byte alignment
    sub esp, 512
    fxsave [esp]
    sub esp, 12                             ; the call site stays 16-byte aligned
    push ebx
    call interrupt_dispatch
    add esp, 16
    fxrstor [esp]
    mov esp, ebx
    popad
    pop gs
    pop fs
    pop es
    pop ds
    add esp, 8                              ; vector and error code
    iretd

; Entered by the task switch through the double-fault task gate; the CPU
; pushed the error code (always 0) on this task's stack.
double_fault_task_entry:
    clts                                    ; the task switch set CR0.TS: without this the
                                            ; first SSE instruction raises #NM (SDM Vol. 3A 2.5)
    pop eax
    and esp, -16
    sub esp, 12
    push eax
    call double_fault_handler               ; never returns
.stop:
    cli
    hlt
    jmp .stop

STUB_NO_ERROR 0
STUB_NO_ERROR 1
STUB_NO_ERROR 2
STUB_NO_ERROR 3
STUB_NO_ERROR 4
STUB_NO_ERROR 5
STUB_NO_ERROR 6
STUB_NO_ERROR 7
STUB_WITH_ERROR 8                           ; only reached if the task gate is not installed
STUB_NO_ERROR 9
STUB_WITH_ERROR 10
STUB_WITH_ERROR 11
STUB_WITH_ERROR 12
STUB_WITH_ERROR 13
STUB_WITH_ERROR 14
STUB_NO_ERROR 15
STUB_NO_ERROR 16
STUB_WITH_ERROR 17
STUB_NO_ERROR 18
STUB_NO_ERROR 19
STUB_NO_ERROR 20
STUB_WITH_ERROR 21
%assign v 22
%rep 7
STUB_NO_ERROR v
%assign v v + 1
%endrep
STUB_WITH_ERROR 29
STUB_WITH_ERROR 30
STUB_NO_ERROR 31
%assign v 32
%rep 16
STUB_NO_ERROR v
%assign v v + 1
%endrep

section .rodata
align 4
interrupt_stub_table:
%assign v 0
%rep 48
    dd interrupt_stub_ %+ v
%assign v v + 1
%endrep

section .note.GNU-stack noalloc noexec nowrite progbits ; no executable stack
