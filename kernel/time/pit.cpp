// PIT channel 0 (periodic IRQ 0) and channel 2 (one-shot delays).
#include <bareflow/panic.h>
#include <kernel/arch/x86/descriptors.h>
#include <kernel/arch/x86/io.h>
#include <kernel/time/clock.h>
#include <kernel/time/pit.h>

using namespace x86;

constexpr u16 CHANNEL0 = 0x40;
constexpr u16 CHANNEL2 = 0x42;
constexpr u16 MODE_COMMAND = 0x43;
constexpr u16 PORT_B = 0x61; // bit 0: channel 2 gate, bit 1: speaker, bit 5: channel 2 output

static volatile u64 s_ticks;
static void (*s_tick_handler)(InterruptFrame&);

static void pit_irq(InterruptFrame& frame)
{
    s_ticks = s_ticks + 1;
    if (s_tick_handler)
        s_tick_handler(frame);
}

void pit_set_tick_handler(void (*handler)(InterruptFrame&)) { s_tick_handler = handler; }

u64 timer_ticks() { return s_ticks; }

static void program_channel0(u16 divisor)
{
    outb(MODE_COMMAND, 0x36); // channel 0, lobyte/hibyte, mode 3 (square wave), binary
    outb(CHANNEL0, divisor & 0xff);
    outb(CHANNEL0, divisor >> 8);
}

static u16 kernel_divisor() { return static_cast<u16>((PIT_FREQUENCY_HZ + PIT_TICK_HZ / 2) / PIT_TICK_HZ); }

void pit_start_ticks()
{
    program_channel0(kernel_divisor());
    irq_install(0, pit_irq);
}

// A divisor of 0 means 65536: the 18.2 Hz the BIOS's tick count (and any
// timeout it measures in ticks) assumes.
void pit_set_bios_rate() { program_channel0(0); }

void pit_set_kernel_rate() { program_channel0(kernel_divisor()); }

void pit_wait_counts(u16 pit_counts)
{
    // Gate on, speaker off; mode 0 (interrupt on terminal count) makes OUT2
    // go high when the count reaches zero, which port 0x61 bit 5 shows.
    outb(PORT_B, static_cast<u8>((inb(PORT_B) & ~0x02) | 0x01));
    outb(MODE_COMMAND, 0xB0); // channel 2, lobyte/hibyte, mode 0, binary
    outb(CHANNEL2, pit_counts & 0xff);
    outb(CHANNEL2, pit_counts >> 8);
    // A 55 ms count at most; each port read takes about a microsecond, so
    // ten million reads mean the PIT is not there.
    for (u32 spins = 0; !(inb(PORT_B) & 0x20); ++spins) {
        if (spins > 10000000)
            panic("PIT channel 2 never reached its terminal count (no 8254 timer?)");
    }
}
