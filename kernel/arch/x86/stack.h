// The kernel stack: 256 KiB in .bss (entry.asm), filled with STACK_FILL at
// boot. Its lowest words are a guard: interrupt_dispatch checks them on every
// IRQ, so a runaway recursion (deep JIT or interpreter calls) ends in a
// "kernel stack overflow" panic instead of silently corrupting the .bss
// below the stack. Paging is off, so there is no guard page to do this, and
// the check is best effort: a recursion that runs far past the guard within
// one timer tick (10 ms) has already damaged what lies below.
#pragma once

#include <bareflow/types.h>

constexpr u32 STACK_FILL = 0x57AC57AC; // mirrored in entry.asm
// Large enough that the interrupt frame, the FXSAVE area and the panic
// report still fit below a stack pointer that has just entered the guard.
constexpr usize STACK_GUARD_BYTES = 4096;

usize kernel_stack_size();
// The deepest the stack has been since boot, in bytes (from the fill).
usize kernel_stack_peak_use();
// Panics if the guard words were overwritten or `esp` is inside the guard.
void kernel_stack_check(u32 esp);
