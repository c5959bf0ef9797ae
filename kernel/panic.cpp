// The kernel's panic(): a broken invariant stops the machine loudly, with
// the same report as a CPU exception (arch/x86/exceptions.cpp). The
// registers are those at the call: EIP is panic()'s return address, ESP and
// EBP the caller's stack.
#include <bareflow/panic.h>
#include <kernel/arch/x86/cpu.h>
#include <kernel/arch/x86/exceptions.h>
#include <kernel/lib/format.h>

[[gnu::noinline]] void panic(const char* message)
{
    RegisterSnapshot r {};
    // Read the general registers first, before C++ code reuses them.
    asm volatile("movl %%eax, %0\n\t"
                 "movl %%ebx, %1\n\t"
                 "movl %%ecx, %2\n\t"
                 "movl %%edx, %3\n\t"
                 "movl %%esi, %4\n\t"
                 "movl %%edi, %5"
                 : "=m"(r.eax), "=m"(r.ebx), "=m"(r.ecx), "=m"(r.edx), "=m"(r.esi), "=m"(r.edi));
    x86::disable_interrupts();
    r.ebp = reinterpret_cast<u32>(__builtin_frame_address(0));
    r.eip = reinterpret_cast<u32>(__builtin_return_address(0));
    // The caller's ESP: just above the return address that `call` pushed.
    r.esp = reinterpret_cast<u32>(__builtin_frame_address(0)) + 8;
    r.eflags = x86::read_eflags();
    u16 cs, ds;
    asm volatile("movw %%cs, %0; movw %%ds, %1" : "=r"(cs), "=r"(ds));
    r.cs = cs;
    r.ds = ds;

    static char title[256];
    format_to(title, sizeof(title), "PANIC: %s", message ? message : "(no message)");
    fatal_report(title, r);
}
