// The two 8259A PICs (Intel 8259A datasheet; osdev "8259 PIC"), remapped so
// IRQs 0-15 arrive as vectors 32-47, clear of the CPU exceptions.
#pragma once

#include <bareflow/types.h>

// Remaps both PICs and masks every IRQ (irq_install unmasks one at a time).
void pic_init();
void pic_unmask(u8 irq);
void pic_mask(u8 irq);
void pic_end_of_interrupt(u8 irq);
// IRQ 7 and 15 can fire without a request in service (a line glitch); such
// an interrupt must not get an EOI (for IRQ 15, only the master gets one).
bool pic_is_spurious(u8 irq);

// The PICs as the BIOS left them (vectors 08h and 70h, its masks), for a
// call into the BIOS (bios_call.cpp); pic_leave_bios_mode() puts back the
// kernel's vectors and the masks saved by pic_enter_bios_mode().
struct PicMasks {
    u8 master;
    u8 slave;
};
PicMasks pic_enter_bios_mode();
void pic_leave_bios_mode(PicMasks kernel_masks);
