// COM1, the kernel's main console: 115200 baud, 8N1, FIFOs on (16550A).
// Output is polled; input arrives by IRQ 4 into a ring buffer, so the shell
// can HLT while it waits and no byte is lost while the kernel prints.
#pragma once

#include <bareflow/types.h>

// Programs the UART. Output works from here on (polled).
void serial_init();
// Installs the IRQ 4 handler: input becomes interrupt-driven. Until then,
// serial_read_byte() polls the UART.
void serial_enable_input_interrupts();
// Reads what arrived while the kernel was in a BIOS call: the PIC forgot
// that edge, and the UART's IRQ line stays up until its data is read.
// Interrupts must be off.
void serial_drain_after_bios_call();

void serial_write_byte(u8 byte);
void serial_write(const char* text, usize length);

// Returns the next received byte, or -1 when none is waiting (never blocks).
int serial_read_byte();
// True when a received byte is waiting.
bool serial_has_input();
