// The TSC as the kernel's clock: calibrated once against PIT channel 2.
//
// Three 10 ms windows are measured and the median kept, so one window
// stretched by the host (a virtual machine being descheduled) does not skew
// the result. Under QEMU the TSC runs at a constant rate in both TCG and KVM;
// on real hardware BareFlow expects an invariant TSC (every CPU since ~2008),
// which is good enough for uptime and benchmarks.
#include <kernel/arch/x86/cpu.h>
#include <kernel/time/clock.h>
#include <kernel/time/pit.h>
#include <kernel/time/tsc.h>

static u64 s_tsc_hz;
static u64 s_tsc_at_boot;

constexpr u16 WINDOW_COUNTS = 11932; // 10.000 ms at 1.193182 MHz

void tsc_calibrate(u64 boot_tsc)
{
    u64 samples[3];
    for (auto& sample : samples) {
        u64 start = x86::rdtsc();
        pit_wait_counts(WINDOW_COUNTS);
        sample = x86::rdtsc() - start;
    }
    // Median of three.
    for (int i = 0; i < 2; ++i) {
        for (int j = 0; j < 2 - i; ++j) {
            if (samples[j] > samples[j + 1]) {
                u64 t = samples[j];
                samples[j] = samples[j + 1];
                samples[j + 1] = t;
            }
        }
    }
    s_tsc_hz = samples[1] * PIT_FREQUENCY_HZ / WINDOW_COUNTS;
    if (s_tsc_hz == 0)
        s_tsc_hz = 1; // a stopped TSC: keep now_ns() defined
    s_tsc_at_boot = boot_tsc;
}

u64 tsc_hz() { return s_tsc_hz; }

u64 now_ns()
{
    u64 ticks = x86::rdtsc() - s_tsc_at_boot;
    // ticks * 1e9 / hz without overflowing 64 bits: whole seconds first.
    u64 seconds = ticks / s_tsc_hz;
    u64 rest = ticks % s_tsc_hz;
    return seconds * 1000000000ull + rest * 1000000000ull / s_tsc_hz;
}

void delay_us(u32 microseconds)
{
    u64 end = x86::rdtsc() + s_tsc_hz * microseconds / 1000000;
    while (x86::rdtsc() < end)
        asm volatile("pause");
}
