// TSC calibration (see tsc.cpp); now_ns() and friends are in clock.h.
#pragma once

// Measures the TSC rate against the PIT. Called once by kernel_main, with
// interrupts off, before anything reads the clock.
void tsc_calibrate();
