// 16550A UART on COM1 (register map: National Semiconductor PC16550D data
// sheet, Table II; osdev "Serial Ports").
#include <kernel/arch/x86/cpu.h>
#include <kernel/arch/x86/descriptors.h>
#include <kernel/arch/x86/io.h>
#include <kernel/drivers/break_key.h>
#include <kernel/drivers/serial.h>

using namespace x86;

constexpr u16 COM1 = 0x3F8;
constexpr u16 DATA = COM1 + 0;          // RBR / THR (DLAB = 0), divisor low (DLAB = 1)
constexpr u16 INTERRUPT_ENABLE = COM1 + 1;
constexpr u16 FIFO_CONTROL = COM1 + 2;
constexpr u16 LINE_CONTROL = COM1 + 3;
constexpr u16 MODEM_CONTROL = COM1 + 4;
constexpr u16 LINE_STATUS = COM1 + 5;

constexpr u8 LSR_DATA_READY = 0x01;
constexpr u8 LSR_TX_EMPTY = 0x20;
constexpr u8 IRQ_COM1 = 4;

// Received bytes, filled by the IRQ handler, drained by the shell.
//
// Flow control: when the ring is full the handler stops reading the UART,
// turns its receive interrupt off and drops RTS, so a sender that honours
// RTS/CTS (real UARTs with hardware flow control) waits; QEMU's UART has a
// 16-byte FIFO and takes no more from its input until the kernel reads, so
// a pipe simply blocks. The shell side resumes once half the ring is free.
// No byte is ever dropped. (A Ctrl-C sent while the ring is full waits in
// line too; the watchdog still stops a runaway call.)
constexpr usize RING_SIZE = 1024;
static volatile u8 s_ring[RING_SIZE];
static volatile u32 s_ring_head; // next write (IRQ side)
static volatile u32 s_ring_tail; // next read (shell side)
static volatile bool s_paused;   // ring full: the UART is left unread
static bool s_interrupts;

constexpr u8 MCR_DTR = 0x01, MCR_RTS = 0x02, MCR_OUT2 = 0x04;
constexpr u8 IER_RECEIVED_DATA = 0x01;

static void drain_uart(InterruptFrame* frame = nullptr);

void serial_init()
{
    // Keep what already arrived (piped input starts flowing while the
    // kernel boots): turning the FIFOs on clears them.
    drain_uart();
    outb(INTERRUPT_ENABLE, 0x00); // quiet while programming
    outb(LINE_CONTROL, 0x80);     // DLAB: the next two bytes are the divisor
    outb(DATA, 1);                // 115200 / 1
    outb(INTERRUPT_ENABLE, 0);
    outb(LINE_CONTROL, 0x03);     // 8 data bits, no parity, 1 stop bit
    // Switching the FIFOs on (or off) clears them, and a byte that arrives
    // between the drain above and that switch would be lost: with piped
    // input it always does (QEMU hands over the next byte as soon as RBR is
    // read). So keep whatever mode the firmware chose; only the trigger
    // level changes, and writing it with FE unchanged clears nothing.
    if ((inb(FIFO_CONTROL) & 0xC0) == 0xC0) // IIR bits 7:6 = 11: FIFOs enabled
        outb(FIFO_CONTROL, 0xC1);           // FIFOs stay on, interrupt at 14 bytes
    outb(MODEM_CONTROL, MCR_DTR | MCR_RTS | MCR_OUT2); // OUT2 gates the IRQ line on PCs
}

static u32 ring_used() { return (s_ring_head - s_ring_tail + RING_SIZE) % RING_SIZE; }

// The ring is full: leave the rest in the UART and ask the sender to wait.
static void pause_input()
{
    s_paused = true;
    outb(INTERRUPT_ENABLE, 0x00);
    outb(MODEM_CONTROL, MCR_DTR | MCR_OUT2);
}

static void drain_uart(InterruptFrame* frame)
{
    // Bounded: without a UART the status port floats to 0xFF, which would
    // read as "data ready" forever.
    for (int i = 0; i < 64; ++i) {
        u8 status = inb(LINE_STATUS);
        if (status == 0xFF || !(status & LSR_DATA_READY))
            break;
        u32 next = (s_ring_head + 1) % RING_SIZE;
        if (next == s_ring_tail) {
            pause_input(); // full: the byte stays in the UART
            break;
        }
        u8 byte = inb(DATA);
        if (byte == 0x03 && deliver_break(frame))
            continue; // Ctrl-C stopped a running call
        s_ring[s_ring_head] = byte;
        s_ring_head = next;
    }
}

static void serial_irq(InterruptFrame& frame) { drain_uart(&frame); }

void serial_enable_input_interrupts()
{
    irq_install(IRQ_COM1, serial_irq);
    outb(INTERRUPT_ENABLE, IER_RECEIVED_DATA);
    s_interrupts = true;
    drain_uart(); // anything that arrived before the switch
}

void serial_drain_after_bios_call() { drain_uart(); }

void serial_write_byte(u8 byte)
{
    while (!(inb(LINE_STATUS) & LSR_TX_EMPTY))
        asm volatile("pause");
    outb(DATA, byte);
}

void serial_write(const char* text, usize length)
{
    for (usize i = 0; i < length; ++i)
        serial_write_byte(static_cast<u8>(text[i]));
}

bool serial_has_input()
{
    if (!s_interrupts)
        drain_uart();
    return s_ring_head != s_ring_tail;
}

int serial_read_byte()
{
    // The IRQ handler only moves the head, this side only the tail, so
    // reading needs no lock; interrupts stay on.
    if (!s_interrupts)
        drain_uart();
    if (s_ring_head == s_ring_tail)
        return -1;
    u8 byte = s_ring[s_ring_tail];
    s_ring_tail = (s_ring_tail + 1) % RING_SIZE;
    if (s_paused && ring_used() <= RING_SIZE / 2) {
        // Resume with interrupts off, so the handler cannot pause again
        // half-way through.
        u32 flags = read_eflags();
        disable_interrupts();
        s_paused = false;
        outb(MODEM_CONTROL, MCR_DTR | MCR_RTS | MCR_OUT2);
        if (s_interrupts)
            outb(INTERRUPT_ENABLE, IER_RECEIVED_DATA);
        drain_uart();
        if (flags & 0x200) // IF
            enable_interrupts();
    }
    return byte;
}
