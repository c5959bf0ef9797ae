// BIOS services from the 32-bit kernel: INT 13h through a real-mode thunk
// (bios_thunk.asm), with the machine put back into the state the BIOS
// expects around each call and the kernel's state restored after.
//
// Low memory the thunk owns after boot (all of it dead loader space, see
// docs/architecture.md "Memory map"):
//   0x07000-0x07BFF  real-mode stack (the loader's old stack)
//   0x08000-0x081FF  the thunk's 16-bit code and register block
//   0x09000-0x090FF  scratch for small BIOS structures (EDD packets)
//   0x10000-0x17FFF  the bounce buffer for sector data (64 KiB-aligned, so a
//                    transfer never crosses a 64 KiB DMA boundary)
#pragma once

#include <bareflow/types.h>

constexpr u32 BIOS_THUNK_ADDRESS = 0x8000;  // THUNK_BASE in bios_thunk.asm
constexpr u32 BIOS_THUNK_LIMIT = 0x1000;    // the blob must fit below 0x9000
constexpr u32 BIOS_SCRATCH_ADDRESS = 0x9000;
constexpr u32 BIOS_SCRATCH_BYTES = 0x100;
constexpr u32 BIOS_BOUNCE_ADDRESS = 0x10000;
constexpr u32 BIOS_BOUNCE_BYTES = 0x8000;

// Registers in and out of a BIOS call; the layout is bios_thunk.asm's.
struct [[gnu::packed]] BiosRegisters {
    u32 eax, ebx, ecx, edx, esi, edi;
    u16 ds, es;
    u32 eflags; // out only: CF (bit 0) set means the call failed
};
static_assert(sizeof(BiosRegisters) == 32);

constexpr u32 EFLAGS_CARRY = 1u << 0;

// A real-mode segment:offset pair for a linear address below 1 MiB.
constexpr u16 real_segment(u32 linear) { return u16(linear >> 4); }
constexpr u16 real_offset(u32 linear) { return u16(linear & 0xF); }

// Copies the thunk below 64 KiB. Called once, lazily, by the first call.
void bios_call_init();

// INT 13h with `registers` (in and out). Interrupts are off and the PICs
// carry the BIOS's vectors (08h, 70h) and masks for the duration; the PIT
// runs at the BIOS's 18.2 Hz; afterwards the kernel's GDT, IDT, PIC layout,
// PIT rate and interrupt flag are back.
void bios_int13(BiosRegisters& registers);
