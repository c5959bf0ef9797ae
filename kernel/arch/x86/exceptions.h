// Fatal reports: CPU exceptions and panic() both end here. The report names
// the cause, prints every register and a short stack dump on COM1 and VGA,
// then leaves QEMU through isa-debug-exit with 0x11 (exit status 35) and, on
// a real PC, halts with interrupts off.
#pragma once

#include <bareflow/types.h>

struct InterruptFrame;

// The registers a report prints (control registers are read at report time).
struct RegisterSnapshot {
    u32 eax, ebx, ecx, edx, esi, edi, ebp, esp;
    u32 eip, eflags;
    u32 cs, ds;
};

// Reports a CPU exception taken through the IDT (vectors 0-31).
[[noreturn]] void exception_report(const InterruptFrame& frame);

// Prints `title`, the registers and the stack, then stops the machine.
[[noreturn]] void fatal_report(const char* title, const RegisterSnapshot& registers);

// The mnemonic-style name of a CPU exception vector, e.g. "Invalid Opcode (#UD)".
const char* exception_name(u32 vector);
