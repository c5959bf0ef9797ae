// The register image that isr.asm builds on the stack for every interrupt
// and exception, lowest address first. Its layout is the order of the pushes
// in isr.asm (PUSHAD, then the segment registers) under the CPU's own frame
// (Intel SDM Vol. 3A 6.12.1, no privilege change: EIP, CS, EFLAGS).
#pragma once

#include <bareflow/types.h>

struct [[gnu::packed]] InterruptFrame {
    u32 edi, esi, ebp, esp_at_pushad, ebx, edx, ecx, eax; // PUSHAD
    u32 gs, fs, es, ds;
    u32 vector;     // pushed by the stub
    u32 error_code; // pushed by the CPU, or 0 by the stub
    u32 eip, cs, eflags;

    // ESP of the interrupted code: just above the CPU's frame (ring 0 to
    // ring 0, so no SS:ESP was pushed).
    u32 interrupted_esp() const { return reinterpret_cast<u32>(&eflags) + 4; }
};
static_assert(sizeof(InterruptFrame) == 17 * 4);
