// VGA text mode 3 output with a scrollback. The screen memory is a plain
// array of (character, attribute) pairs; the CRT controller's cursor location
// registers (0x0E, 0x0F through ports 0x3D4/0x3D5) move the blinking cursor.
//
// The console keeps the live screen in s_live and the lines that scrolled
// off its top in a ring (s_history). Normally VGA memory shows s_live; after
// Shift+PgUp (keyboard.cpp calls vga_scroll_view) it shows older lines
// instead, until Shift+PgDn returns or new output arrives. A PC without a
// serial port has no other way to read `mods` or `tiers`.
#include <kernel/arch/x86/cpu.h>
#include <kernel/arch/x86/io.h>
#include <kernel/drivers/vga.h>

constexpr u32 COLUMNS = 80;
constexpr u32 ROWS = 25;
constexpr u32 HISTORY_ROWS = 1000; // 160 KB of .bss
constexpr u16 CRTC_INDEX = 0x3D4;
constexpr u16 CRTC_DATA = 0x3D5;
constexpr u16 CURSOR_START = 0x0A; // CRTC register: bit 5 hides the cursor
constexpr u8 CURSOR_HIDDEN = 0x20;

static volatile u16* const s_screen = reinterpret_cast<volatile u16*>(0xB8000);
static u16 s_live[ROWS * COLUMNS];
static u16 s_history[HISTORY_ROWS][COLUMNS];
static u32 s_history_next;  // ring index of the next line to keep
static u32 s_history_count; // lines kept, at most HISTORY_ROWS
static u32 s_view_offset;   // lines scrolled back; 0 = the live screen
static u32 s_row, s_column;
static u8 s_attribute = 0x07; // light grey on black

// The keyboard's IRQ handler scrolls the view while the shell may be
// printing: both sides run with interrupts off.
class InterruptsOff {
public:
    InterruptsOff() : m_flags(x86::read_eflags()) { x86::disable_interrupts(); }
    ~InterruptsOff()
    {
        if (m_flags & (1u << 9))
            x86::enable_interrupts();
    }

private:
    u32 m_flags;
};

static void move_cursor()
{
    u16 position = static_cast<u16>(s_row * COLUMNS + s_column);
    x86::outb(CRTC_INDEX, 0x0F);
    x86::outb(CRTC_DATA, position & 0xff);
    x86::outb(CRTC_INDEX, 0x0E);
    x86::outb(CRTC_DATA, position >> 8);
}

static void show_cursor(bool visible)
{
    x86::outb(CRTC_INDEX, CURSOR_START);
    u8 value = x86::inb(CRTC_DATA);
    x86::outb(CRTC_DATA, visible ? (value & ~CURSOR_HIDDEN) : (value | CURSOR_HIDDEN));
}

static u16 cell(char c) { return static_cast<u16>(static_cast<u8>(c) | (s_attribute << 8)); }

// Screen row `row` of the current view: history lines above the live ones.
static const u16* view_row(u32 row)
{
    if (row >= s_view_offset)
        return &s_live[(row - s_view_offset) * COLUMNS];
    u32 back = s_view_offset - row; // 1 = the newest history line
    return s_history[(s_history_next + HISTORY_ROWS - back) % HISTORY_ROWS];
}

static void render()
{
    for (u32 row = 0; row < ROWS; ++row) {
        const u16* line = view_row(row);
        for (u32 column = 0; column < COLUMNS; ++column)
            s_screen[row * COLUMNS + column] = line[column];
    }
    show_cursor(s_view_offset == 0);
}

static void put(u32 index, u16 value)
{
    s_live[index] = value;
    if (s_view_offset == 0)
        s_screen[index] = value;
}

static void scroll()
{
    for (u32 column = 0; column < COLUMNS; ++column)
        s_history[s_history_next][column] = s_live[column];
    s_history_next = (s_history_next + 1) % HISTORY_ROWS;
    if (s_history_count < HISTORY_ROWS)
        ++s_history_count;
    for (u32 i = 0; i < (ROWS - 1) * COLUMNS; ++i)
        s_live[i] = s_live[i + COLUMNS];
    for (u32 i = (ROWS - 1) * COLUMNS; i < ROWS * COLUMNS; ++i)
        s_live[i] = cell(' ');
    s_row = ROWS - 1;
    if (s_view_offset == 0)
        render();
}

void vga_init()
{
    for (u32 i = 0; i < ROWS * COLUMNS; ++i)
        s_live[i] = cell(' ');
    s_history_next = s_history_count = s_view_offset = 0;
    s_row = s_column = 0;
    render();
    move_cursor();
}

void vga_set_color(u8 attribute) { s_attribute = attribute; }

void vga_write_char(char c)
{
    InterruptsOff guard;
    if (s_view_offset != 0) {
        // New output brings the live screen back, as on a terminal.
        s_view_offset = 0;
        render();
    }
    switch (c) {
    case '\n':
        s_column = 0;
        ++s_row;
        break;
    case '\r':
        s_column = 0;
        break;
    case '\b':
        if (s_column > 0)
            --s_column;
        break;
    case '\t':
        s_column = (s_column + 8) & ~7u;
        break;
    default:
        put(s_row * COLUMNS + s_column, cell(c));
        ++s_column;
        break;
    }
    if (s_column >= COLUMNS) {
        s_column = 0;
        ++s_row;
    }
    if (s_row >= ROWS)
        scroll();
    move_cursor();
}

void vga_scroll_view(int lines)
{
    InterruptsOff guard;
    i64 offset = i64(s_view_offset) + lines;
    if (offset < 0)
        offset = 0;
    if (offset > i64(s_history_count))
        offset = s_history_count;
    if (u32(offset) == s_view_offset)
        return;
    s_view_offset = u32(offset);
    render();
}

u32 vga_view_offset() { return s_view_offset; }
