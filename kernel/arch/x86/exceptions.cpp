// The fatal-report path shared by CPU exceptions, the double-fault task and
// panic(). It must work with the kernel in any state, so it uses nothing but
// the console output and reads memory only in the stack dump.
#include <kernel/arch/x86/cpu.h>
#include <kernel/arch/x86/descriptors.h>
#include <kernel/arch/x86/exceptions.h>
#include <kernel/arch/x86/interrupt_frame.h>
#include <kernel/arch/x86/power.h>
#include <kernel/lib/format.h>
#include <kernel/lib/kprintf.h>

// Intel SDM Vol. 3A Table 6-1.
static const char* const s_exception_names[32] = {
    "Divide Error (#DE)",
    "Debug (#DB)",
    "Non-Maskable Interrupt (NMI)",
    "Breakpoint (#BP)",
    "Overflow (#OF)",
    "BOUND Range Exceeded (#BR)",
    "Invalid Opcode (#UD)",
    "Device Not Available (#NM)",
    "Double Fault (#DF)",
    "Coprocessor Segment Overrun",
    "Invalid TSS (#TS)",
    "Segment Not Present (#NP)",
    "Stack-Segment Fault (#SS)",
    "General Protection (#GP)",
    "Page Fault (#PF)",
    "Reserved (15)",
    "x87 Floating-Point Error (#MF)",
    "Alignment Check (#AC)",
    "Machine Check (#MC)",
    "SIMD Floating-Point Exception (#XM)",
    "Virtualization Exception (#VE)",
    "Control Protection Exception (#CP)",
    "Reserved (22)",
    "Reserved (23)",
    "Reserved (24)",
    "Reserved (25)",
    "Reserved (26)",
    "Reserved (27)",
    "Hypervisor Injection Exception (#HV)",
    "VMM Communication Exception (#VC)",
    "Security Exception (#SX)",
    "Reserved (31)",
};

const char* exception_name(u32 vector)
{
    return vector < 32 ? s_exception_names[vector] : "not an exception";
}

static volatile bool s_reporting;

constexpr u32 STACK_DUMP_WORDS = 16;

void fatal_report(const char* title, const RegisterSnapshot& r)
{
    x86::disable_interrupts();
    // A fault inside the report itself must not loop: leave at once.
    if (s_reporting)
        machine_exit(EXIT_PANIC);
    s_reporting = true;

    kprintf("\n*** %s\n", title);
    kprintf("EAX=%08x EBX=%08x ECX=%08x EDX=%08x\n", r.eax, r.ebx, r.ecx, r.edx);
    kprintf("ESI=%08x EDI=%08x EBP=%08x ESP=%08x\n", r.esi, r.edi, r.ebp, r.esp);
    kprintf("EIP=%08x EFLAGS=%08x CS=%04x DS=%04x\n", r.eip, r.eflags, r.cs, r.ds);
    kprintf("CR0=%08x CR2=%08x CR3=%08x CR4=%08x\n", x86::read_cr0(), x86::read_cr2(), x86::read_cr3(),
            x86::read_cr4());
    // Paging is off, so any address below 4 GiB can be read; skip only the
    // obviously wild ones.
    if (r.esp >= 0x1000 && r.esp <= 0xFFFFFFFF - 4 * STACK_DUMP_WORDS) {
        kprintf("stack at ESP:\n");
        auto* words = reinterpret_cast<const volatile u32*>(r.esp & ~3u);
        for (u32 i = 0; i < STACK_DUMP_WORDS; i += 4)
            kprintf("  %08x: %08x %08x %08x %08x\n", reinterpret_cast<u32>(words + i), words[i], words[i + 1],
                    words[i + 2], words[i + 3]);
    }
    kprintf("*** system halted (QEMU exit status 35)\n");
    machine_exit(EXIT_PANIC);
}

void exception_report(const InterruptFrame& f)
{
    RegisterSnapshot r {};
    r.eax = f.eax;
    r.ebx = f.ebx;
    r.ecx = f.ecx;
    r.edx = f.edx;
    r.esi = f.esi;
    r.edi = f.edi;
    r.ebp = f.ebp;
    r.esp = f.interrupted_esp();
    r.eip = f.eip;
    r.eflags = f.eflags;
    r.cs = f.cs & 0xffff;
    r.ds = f.ds & 0xffff;

    char title[128];
    format_to(title, sizeof(title), "CPU EXCEPTION %s, vector %02u, error code 0x%08x", exception_name(f.vector),
              f.vector, f.error_code);
    fatal_report(title, r);
}

// Runs on the double-fault task (see descriptors.cpp): the faulting state
// was saved by the task switch in the kernel task's TSS.
extern "C" [[noreturn]] void double_fault_handler(u32 error_code)
{
    const auto& t = kernel_task_state();
    RegisterSnapshot r {};
    r.eax = t.eax;
    r.ebx = t.ebx;
    r.ecx = t.ecx;
    r.edx = t.edx;
    r.esi = t.esi;
    r.edi = t.edi;
    r.ebp = t.ebp;
    r.esp = t.esp;
    r.eip = t.eip;
    r.eflags = t.eflags;
    r.cs = t.cs;
    r.ds = t.ds;
    (void)error_code; // always 0 for #DF
    fatal_report("CPU EXCEPTION Double Fault (#DF), vector 08, error code 0x00000000 (on the double-fault task)", r);
}

