// GDT TSS entries, the IDT and the interrupt dispatcher.
//
// Every CPU exception goes to exception_report() (exceptions.cpp), which
// never returns. IRQs 0-15 go to the handler installed for them, then get
// their end-of-interrupt. The double fault (vector 8) is a task gate: the CPU
// switches to a separate TSS with a separate stack, so even a fault caused by
// a broken kernel stack is reported instead of becoming a triple fault
// (Intel SDM Vol. 3A 6.15, "Interrupt 8", and 7.3 on task switching).
#include <kernel/arch/x86/descriptors.h>
#include <kernel/arch/x86/exceptions.h>
#include <kernel/arch/x86/interrupt_frame.h>
#include <kernel/arch/x86/cpu.h>
#include <kernel/arch/x86/pic.h>
#include <kernel/arch/x86/stack.h>

extern "C" u64 gdt_table[];
extern "C" const u32 interrupt_stub_table[48];
extern "C" void double_fault_task_entry();
// The kernel task's TSS; entry.asm builds its descriptor and loads TR.
extern "C" TaskStateSegment kernel_tss;

// One IDT gate (Intel SDM Vol. 3A 6.11, Figure 6-2).
struct [[gnu::packed]] IdtGate {
    u16 offset_low;
    u16 selector;
    u8 zero;
    u8 type_attributes; // P | DPL | type
    u16 offset_high;
};
static_assert(sizeof(IdtGate) == 8);

struct [[gnu::packed]] DescriptorPointer {
    u16 limit;
    u32 base;
};
static_assert(sizeof(DescriptorPointer) == 6);

constexpr u8 GATE_INTERRUPT_32 = 0x8E; // present, DPL 0, 32-bit interrupt gate (IF cleared)
constexpr u8 GATE_TASK = 0x85;         // present, DPL 0, task gate
constexpr u8 TSS_AVAILABLE_32 = 0x89;  // present, DPL 0, available 32-bit TSS

constexpr usize DOUBLE_FAULT_STACK_SIZE = 16 * 1024;

alignas(16) static IdtGate s_idt[256];
alignas(16) static TaskStateSegment s_double_fault_tss;
alignas(16) static u8 s_double_fault_stack[DOUBLE_FAULT_STACK_SIZE];
static IrqHandler s_irq_handlers[16];

// A system-segment descriptor (Intel SDM Vol. 3A 7.2.2, Figure 7-3).
static u64 tss_descriptor(const TaskStateSegment& tss)
{
    u64 base = reinterpret_cast<u32>(&tss);
    u64 limit = sizeof(TaskStateSegment) - 1;
    return (limit & 0xffff) | ((base & 0xffffff) << 16) | (static_cast<u64>(TSS_AVAILABLE_32) << 40)
        | (((limit >> 16) & 0xf) << 48) | (((base >> 24) & 0xff) << 56);
}

static void set_gate(u8 vector, u32 offset, u16 selector, u8 type)
{
    s_idt[vector] = { static_cast<u16>(offset & 0xffff), selector, 0, type, static_cast<u16>(offset >> 16) };
}

void descriptors_init()
{
    // The double-fault task starts at double_fault_task_entry on its own
    // stack, with flat segments and the current CR3.
    auto& df = s_double_fault_tss;
    df.cr3 = x86::read_cr3();
    df.eip = reinterpret_cast<u32>(&double_fault_task_entry);
    df.eflags = 0x2; // reserved bit 1; IF clear
    df.esp = reinterpret_cast<u32>(s_double_fault_stack + DOUBLE_FAULT_STACK_SIZE);
    df.cs = KERNEL_CODE_SELECTOR;
    df.ss = df.ds = df.es = df.fs = df.gs = KERNEL_DATA_SELECTOR;
    df.ss0 = KERNEL_DATA_SELECTOR;
    df.esp0 = df.esp;
    df.io_map_base = sizeof(TaskStateSegment); // no I/O bitmap
    // TR already names kernel_tss (entry.asm): a task switch saves the
    // outgoing state in the current TSS, so that is where the double-fault
    // handler finds the registers of the code that faulted.
    gdt_table[DOUBLE_FAULT_TSS_SELECTOR / 8] = tss_descriptor(s_double_fault_tss);

    for (u8 vector = 0; vector < 48; ++vector)
        set_gate(vector, interrupt_stub_table[vector], KERNEL_CODE_SELECTOR, GATE_INTERRUPT_32);
    set_gate(8, 0, DOUBLE_FAULT_TSS_SELECTOR, GATE_TASK);

    DescriptorPointer idtr { sizeof(s_idt) - 1, reinterpret_cast<u32>(&s_idt) };
    asm volatile("lidt %0" : : "m"(idtr));
}

const TaskStateSegment& kernel_task_state() { return kernel_tss; }

void idt_mark_not_present(u8 vector) { s_idt[vector].type_attributes &= 0x7F; }

void irq_install(u8 irq, IrqHandler handler)
{
    s_irq_handlers[irq & 15] = handler;
    pic_unmask(irq);
}

extern "C" void interrupt_dispatch(InterruptFrame* frame)
{
    if (frame->vector < IRQ_BASE_VECTOR)
        exception_report(*frame); // never returns

    u8 irq = static_cast<u8>(frame->vector - IRQ_BASE_VECTOR);
    if (irq >= 16)
        return;
    kernel_stack_check(frame->interrupted_esp());
    if (pic_is_spurious(irq))
        return;
    if (auto handler = s_irq_handlers[irq])
        handler(*frame);
    pic_end_of_interrupt(irq);
}
