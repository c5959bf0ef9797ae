// Descriptor tables: the GDT's TSS entries, the IDT, and the double-fault
// task. entry.asm loads the flat GDT; descriptors_init() completes it and
// installs the IDT (Intel SDM Vol. 3A chapters 3, 6 and 7).
#pragma once

#include <bareflow/types.h>

struct InterruptFrame;

constexpr u16 KERNEL_CODE_SELECTOR = 0x08;
constexpr u16 KERNEL_DATA_SELECTOR = 0x10;
constexpr u16 KERNEL_TSS_SELECTOR = 0x18;
constexpr u16 DOUBLE_FAULT_TSS_SELECTOR = 0x20;
constexpr u16 REAL_MODE_CODE16_SELECTOR = 0x28; // bios_thunk.asm: 16-bit protected mode on the way to real mode
constexpr u16 REAL_MODE_DATA16_SELECTOR = 0x30;

constexpr u8 IRQ_BASE_VECTOR = 32; // PIC IRQ n arrives as vector 32 + n

// The 32-bit TSS (Intel SDM Vol. 3A 7.2.1, Figure 7-2).
struct [[gnu::packed]] TaskStateSegment {
    u32 previous_task;
    u32 esp0, ss0, esp1, ss1, esp2, ss2;
    u32 cr3, eip, eflags;
    u32 eax, ecx, edx, ebx, esp, ebp, esi, edi;
    u32 es, cs, ss, ds, fs, gs;
    u32 ldt;
    u16 trap;
    u16 io_map_base;
};
static_assert(sizeof(TaskStateSegment) == 104);

// Fills the TSS descriptors, loads the task register, builds and loads the
// IDT (every vector 0-47 has a handler). Interrupts stay disabled.
void descriptors_init();

// The kernel task's TSS: after a double fault it holds the registers of the
// code that faulted (the task switch saved them there).
const TaskStateSegment& kernel_task_state();

// Clears the present bit of an IDT gate. Only `panic-test df` uses it, to
// provoke a genuine double fault.
void idt_mark_not_present(u8 vector);

using IrqHandler = void (*)(InterruptFrame& frame);
// Routes IRQ `irq` (0-15) to `handler` and unmasks it at the PIC.
void irq_install(u8 irq, IrqHandler handler);
