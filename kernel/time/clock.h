// Time since boot. The TSC is calibrated against the PIT once at boot
// (time/tsc.cpp); now_ns() then costs one RDTSC and a division.
#pragma once

#include <bareflow/types.h>

// Nanoseconds since kernel_main started (a few ms after the loader's jump).
u64 now_ns();

// TSC ticks per second as measured at boot.
u64 tsc_hz();

// Busy-waits at least `microseconds` (TSC-based).
void delay_us(u32 microseconds);

// PIT interrupts (IRQ0 at PIT_TICK_HZ) counted since boot.
u64 timer_ticks();
constexpr u32 PIT_TICK_HZ = 100;
