// isa-debug-exit, then a halt that nothing wakes.
#include <kernel/arch/x86/cpu.h>
#include <kernel/arch/x86/io.h>
#include <kernel/arch/x86/power.h>

void machine_exit(u8 code)
{
    x86::disable_interrupts();
    x86::outl(DEBUG_EXIT_PORT, code);
    x86::halt_forever();
}
