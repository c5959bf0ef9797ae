// The 8253/8254 programmable interval timer (Intel 82C54 data sheet; osdev
// "Programmable Interval Timer"). Channel 0 drives IRQ 0 at PIT_TICK_HZ;
// channel 2, gated through port 0x61, measures a fixed interval for the TSC
// calibration without interrupts.
#pragma once

#include <bareflow/types.h>

constexpr u32 PIT_FREQUENCY_HZ = 1193182;

struct InterruptFrame;

// Starts channel 0 at PIT_TICK_HZ and installs the IRQ 0 handler.
void pit_start_ticks();
// Around a BIOS call (bios_call.cpp): the BIOS's 18.2 Hz, then ours again.
void pit_set_bios_rate();
void pit_set_kernel_rate();

// Called from IRQ 0 on every tick, after the tick count moved, with the
// interrupted context (the watchdog of kernel/jit/running_call.cpp).
void pit_set_tick_handler(void (*handler)(InterruptFrame&));

// Busy-waits `pit_counts` periods of the 1.193182 MHz input clock on
// channel 2 (at most 65535), calling nothing else.
void pit_wait_counts(u16 pit_counts);
