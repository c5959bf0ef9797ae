// The PS/2 keyboard (8042 controller, scan code set 1 as the controller
// translates it by default), a second input for the shell next to COM1.
// Keys become the bytes a serial terminal would send: letters, Enter as CR,
// Backspace as DEL, the arrows as ESC [ A..D, Ctrl+letter as 0x01-0x1A.
#pragma once

#include <bareflow/types.h>

// Installs the IRQ 1 handler if an 8042 answers; a PC without one (or with
// a USB keyboard and no legacy emulation) simply has no keyboard input.
void keyboard_init();

// Reads a byte that arrived at the end of a BIOS call: the PIC forgot the
// edge, and the 8042 raises no new one until its buffer is read. A key
// pressed *during* the call went to the BIOS's own handler and is lost.
// Interrupts must be off.
void keyboard_drain_after_bios_call();

// Returns the next byte typed, or -1 when none is waiting (never blocks).
int keyboard_read_byte();
