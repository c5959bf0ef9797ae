// Built-in commands about the shell and the machine's life: help, uptime,
// poweroff, panic-test.
#include <bareflow/panic.h>
#include <kernel/arch/x86/cpu.h>
#include <kernel/arch/x86/descriptors.h>
#include <kernel/arch/x86/io.h>
#include <kernel/arch/x86/power.h>
#include <kernel/arch/x86/stack.h>
#include <kernel/init.h>
#include <kernel/lib/kprintf.h>
#include <kernel/lib/string.h>
#include <kernel/shell/command.h>
#include <kernel/time/clock.h>

extern "C" u32 kernel_stack_bottom[];

static ErrorOr<void> cmd_help(int argc, char** argv)
{
    if (argc > 2)
        return Error::BadArguments;
    if (argc == 2) {
        auto* command = find_shell_command(argv[1]);
        if (!command)
            return Error::UnknownCommand;
        kprintf("usage: %s\n  %s\n", command->usage, command->help);
        return {};
    }
    // Sorted by name without a buffer: print the smallest name greater than
    // the previous one, once per command.
    kprintf("commands:\n");
    const char* previous = nullptr;
    for (;;) {
        const ShellCommand* next = nullptr;
        for (auto* c = shell_commands_begin(); c != shell_commands_end(); ++c) {
            if (previous && strcmp(c->name, previous) <= 0)
                continue;
            if (!next || strcmp(c->name, next->name) < 0)
                next = c;
        }
        if (!next)
            break;
        kprintf("  %-14s %s\n", next->name, next->help);
        previous = next->name;
    }
    kprintf("'help <command>' shows its usage.\n");
    return {};
}
SHELL_COMMAND("help", "help [command]", "list the commands, or show one command's usage", cmd_help);

static ErrorOr<void> cmd_uptime(int argc, char**)
{
    if (argc != 1)
        return Error::BadArguments;
    u64 ns = now_ns();
    u64 ms = ns / 1000000;
    u64 seconds = ms / 1000;
    kprintf("up %llu.%03llu s (%llu:%02llu:%02llu), %llu timer ticks at %u Hz, TSC %llu.%03llu MHz\n", seconds,
            ms % 1000, seconds / 3600, seconds / 60 % 60, seconds % 60, timer_ticks(), PIT_TICK_HZ,
            tsc_hz() / 1000000, tsc_hz() / 1000 % 1000);
    return {};
}
SHELL_COMMAND("uptime", "uptime", "time since the kernel started (TSC calibrated against the PIT)", cmd_uptime);

static ErrorOr<void> cmd_poweroff(int argc, char**)
{
    if (argc != 1)
        return Error::BadArguments;
    run_kernel_shutdown_steps();
    kprintf("Powering off.\n");
    // Under QEMU this exits with status 33. A real PC ignores the port;
    // then there is nothing left to do but say so and halt.
    x86::outb(DEBUG_EXIT_PORT, EXIT_POWEROFF);
    kprintf("BareFlow has halted; it is now safe to turn off the computer.\n");
    x86::halt_forever();
}
SHELL_COMMAND("poweroff", "poweroff", "leave QEMU with status 33 (halt on a real PC)", cmd_poweroff);

// Recurses until the stack pointer is 3 KiB above the bottom of the kernel
// stack, inside the guard, then waits for an interrupt: the IRQ path must
// notice and panic. (A real overflow would not stop by itself.)
[[gnu::noinline]] static void recurse_into_stack_guard(u32 depth)
{
    volatile u8 frame[256];
    frame[0] = static_cast<u8>(depth);
    if (depth > 1000000)
        return; // unreachable (256 KiB / 256 bytes), but gives the function a way out
    u32 esp;
    asm volatile("movl %%esp, %0" : "=r"(esp));
    if (esp > reinterpret_cast<u32>(kernel_stack_bottom) + 3072) {
        recurse_into_stack_guard(depth + 1);
    } else {
        for (;;)
            x86::enable_interrupts_and_halt();
    }
    frame[1] = frame[0]; // keeps the frame alive across the call
}

// Raises each kind of fault for real, so the handlers are proven by use.
static ErrorOr<void> cmd_panic_test(int argc, char** argv)
{
    if (argc > 2)
        return Error::BadArguments;
    const char* kind = argc == 2 ? argv[1] : "ud";
    if (string_equals(kind, "ud")) {
        asm volatile("ud2"); // #UD, vector 6
    } else if (string_equals(kind, "de")) {
        asm volatile("xorl %%ecx, %%ecx; movl $1, %%eax; xorl %%edx, %%edx; divl %%ecx" ::: "eax", "ecx", "edx");
    } else if (string_equals(kind, "gp")) {
        asm volatile("movw $0x1234, %%ax; movw %%ax, %%ds" ::: "eax"); // no such GDT entry: #GP(0x1230)
    } else if (string_equals(kind, "df")) {
        // #GP with its gate marked not present raises #NP while delivering
        // #GP: two contributory faults make a double fault (Intel SDM
        // Vol. 3A Table 6-5), which the double-fault task reports.
        idt_mark_not_present(13);
        idt_mark_not_present(11);
        asm volatile("movw $0x1234, %%ax; movw %%ax, %%ds" ::: "eax");
    } else if (string_equals(kind, "stack")) {
        recurse_into_stack_guard(0);
    } else if (string_equals(kind, "panic")) {
        panic("panic-test: panic() called on purpose");
    } else {
        return Error::BadArguments;
    }
    kprintf("panic-test: the fault did not happen\n");
    return Error::NotSupported;
}
SHELL_COMMAND("panic-test", "panic-test [ud|de|gp|df|stack|panic]",
              "raise a CPU exception (default: ud2), overflow the stack, or panic(); QEMU exits with status 35",
              cmd_panic_test);
