// TSC calibration (see tsc.cpp); now_ns() and friends are in clock.h.
#pragma once

#include <bareflow/types.h>

// Measures the TSC rate against the PIT. Called once by kernel_main, with
// interrupts off, before anything reads the clock. `boot_tsc` is the TSC
// read on entry to kernel_main: now_ns() counts from there.
void tsc_calibrate(u64 boot_tsc);
