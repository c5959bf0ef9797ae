// PS/2 keyboard: scan code set 1 (IBM PC/XT codes; osdev "PS/2 Keyboard",
// "Scan Code Set 1") to ASCII, US layout.
#include <kernel/arch/x86/descriptors.h>
#include <kernel/arch/x86/io.h>
#include <kernel/drivers/break_key.h>
#include <kernel/drivers/keyboard.h>
#include <kernel/drivers/vga.h>

using namespace x86;

constexpr u16 DATA_PORT = 0x60;
constexpr u16 STATUS_PORT = 0x64;
constexpr u8 STATUS_OUTPUT_FULL = 0x01;
constexpr u8 STATUS_AUX_DATA = 0x20; // the byte came from the mouse port
constexpr u8 IRQ_KEYBOARD = 1;

// Index: make code. 0 = no character.
static const char s_plain[0x3A] = {
    0, 0x1B, '1', '2', '3', '4', '5', '6', '7', '8', '9', '0', '-', '=', 0x7F, '\t',
    'q', 'w', 'e', 'r', 't', 'y', 'u', 'i', 'o', 'p', '[', ']', '\r', 0, 'a', 's',
    'd', 'f', 'g', 'h', 'j', 'k', 'l', ';', '\'', '`', 0, '\\', 'z', 'x', 'c', 'v',
    'b', 'n', 'm', ',', '.', '/', 0, '*', 0, ' ',
};
static const char s_shifted[0x3A] = {
    0, 0x1B, '!', '@', '#', '$', '%', '^', '&', '*', '(', ')', '_', '+', 0x7F, '\t',
    'Q', 'W', 'E', 'R', 'T', 'Y', 'U', 'I', 'O', 'P', '{', '}', '\r', 0, 'A', 'S',
    'D', 'F', 'G', 'H', 'J', 'K', 'L', ':', '"', '~', 0, '|', 'Z', 'X', 'C', 'V',
    'B', 'N', 'M', '<', '>', '?', 0, '*', 0, ' ',
};

constexpr u8 KEY_LEFT_SHIFT = 0x2A, KEY_RIGHT_SHIFT = 0x36, KEY_CTRL = 0x1D, KEY_CAPS_LOCK = 0x3A;
constexpr u8 EXTENDED_PREFIX = 0xE0;

constexpr usize RING_SIZE = 256;
static volatile u8 s_ring[RING_SIZE];
static volatile u32 s_head, s_tail;
static bool s_shift, s_ctrl, s_caps, s_extended;
static InterruptFrame* s_irq_frame; // while keyboard_irq runs: for the break key

static void push(u8 byte)
{
    if (byte == 0x03 && deliver_break(s_irq_frame))
        return; // Ctrl-C stopped a running call
    u32 next = (s_head + 1) % RING_SIZE;
    if (next == s_tail)
        return; // full: drop
    s_ring[s_head] = byte;
    s_head = next;
}

static void push_escape(char final)
{
    push(0x1B);
    push('[');
    push(static_cast<u8>(final));
}

static void handle_scancode(u8 code)
{
    if (code == EXTENDED_PREFIX) {
        s_extended = true;
        return;
    }
    bool release = code & 0x80;
    u8 key = code & 0x7F;
    bool extended = s_extended;
    s_extended = false;

    if (key == KEY_LEFT_SHIFT || key == KEY_RIGHT_SHIFT) {
        if (!extended) // E0 2A is the "fake shift" some keyboards send
            s_shift = !release;
        return;
    }
    if (key == KEY_CTRL) {
        s_ctrl = !release;
        return;
    }
    if (release)
        return;
    if (key == KEY_CAPS_LOCK) {
        s_caps = !s_caps;
        return;
    }
    if (extended) {
        switch (key) {
        case 0x48: push_escape('A'); break; // up
        case 0x50: push_escape('B'); break; // down
        case 0x4D: push_escape('C'); break; // right
        case 0x4B: push_escape('D'); break; // left
        case 0x1C: push('\r'); break;       // keypad Enter
        // Shift+PgUp/PgDn page the VGA scrollback, as on Linux's console;
        // they never reach the shell.
        case 0x49: if (s_shift) vga_scroll_view(VGA_PAGE_LINES); break; // PgUp
        case 0x51: if (s_shift) vga_scroll_view(-VGA_PAGE_LINES); break; // PgDn
        default: break;
        }
        return;
    }
    if (key >= sizeof(s_plain))
        return;
    char c = s_shift ? s_shifted[key] : s_plain[key];
    if (!c)
        return;
    if (s_caps && c >= 'a' && c <= 'z')
        c = static_cast<char>(c - 'a' + 'A');
    else if (s_caps && c >= 'A' && c <= 'Z' && s_shift)
        c = static_cast<char>(c - 'A' + 'a');
    if (s_ctrl && ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')))
        c = static_cast<char>(c & 0x1F);
    push(static_cast<u8>(c));
}

static void keyboard_irq(InterruptFrame& frame)
{
    s_irq_frame = &frame;
    while (inb(STATUS_PORT) & STATUS_OUTPUT_FULL) {
        u8 status = inb(STATUS_PORT);
        u8 data = inb(DATA_PORT);
        if (!(status & STATUS_AUX_DATA))
            handle_scancode(data);
    }
    s_irq_frame = nullptr;
}

static bool s_installed; // keyboard_init found an 8042 and took IRQ 1

void keyboard_init()
{
    // No controller: the status port floats to 0xFF.
    if (inb(STATUS_PORT) == 0xFF)
        return;
    // Discard whatever the BIOS left (keys pressed during boot).
    for (int i = 0; i < 64 && (inb(STATUS_PORT) & STATUS_OUTPUT_FULL); ++i)
        inb(DATA_PORT);
    irq_install(IRQ_KEYBOARD, keyboard_irq);
    s_installed = true;
}

void keyboard_drain_after_bios_call()
{
    if (!s_installed)
        return;
    // Bounded: the 8042 holds one byte (two with a mouse), never more.
    for (int i = 0; i < 16 && (inb(STATUS_PORT) & STATUS_OUTPUT_FULL); ++i) {
        u8 status = inb(STATUS_PORT);
        u8 data = inb(DATA_PORT);
        if (!(status & STATUS_AUX_DATA))
            handle_scancode(data);
    }
}

int keyboard_read_byte()
{
    if (s_head == s_tail)
        return -1;
    u8 byte = s_ring[s_tail];
    s_tail = (s_tail + 1) % RING_SIZE;
    return byte;
}
