// INT 13h from the kernel (see bios_call.h): puts the machine into the
// state the BIOS expects, runs bios_thunk.asm, and restores the kernel's.
#include <bareflow/panic.h>
#include <kernel/arch/x86/bios_call.h>
#include <kernel/arch/x86/cpu.h>
#include <kernel/arch/x86/pic.h>
#include <kernel/drivers/keyboard.h>
#include <kernel/drivers/serial.h>
#include <kernel/lib/string.h>
#include <kernel/time/pit.h>

extern "C" u8 bios_thunk_blob_start[];
extern "C" u8 bios_thunk_blob_end[];
extern "C" void bios_thunk_call(BiosRegisters* registers);

namespace {

bool s_thunk_ready;

} // namespace

void bios_call_init()
{
    u32 size = u32(bios_thunk_blob_end - bios_thunk_blob_start);
    if (size > BIOS_THUNK_LIMIT)
        panic("bios: the real-mode thunk outgrew its low-memory slot");
    memcpy(reinterpret_cast<void*>(BIOS_THUNK_ADDRESS), bios_thunk_blob_start, size);
    s_thunk_ready = true;
}

void bios_int13(BiosRegisters& registers)
{
    if (!s_thunk_ready)
        bios_call_init();
    u32 flags = x86::read_eflags();
    x86::disable_interrupts();
    // The BIOS's world: its IRQ vectors and masks, its timer rate. Its IVT
    // and data area below 0x500 were never touched by the kernel.
    PicMasks kernel_masks = pic_enter_bios_mode();
    pit_set_bios_rate();
    bios_thunk_call(&registers);
    pit_set_kernel_rate();
    pic_leave_bios_mode(kernel_masks);
    serial_drain_after_bios_call();
    keyboard_drain_after_bios_call();
    if (flags & (1u << 9)) // IF: interrupts were on before the call
        x86::enable_interrupts();
}
