// VGA text mode 3 output. The screen memory is a plain array of
// (character, attribute) pairs; the CRT controller's cursor location
// registers (0x0E, 0x0F through ports 0x3D4/0x3D5) move the blinking cursor.
#include <kernel/arch/x86/io.h>
#include <kernel/drivers/vga.h>

constexpr u32 COLUMNS = 80;
constexpr u32 ROWS = 25;
constexpr u16 CRTC_INDEX = 0x3D4;
constexpr u16 CRTC_DATA = 0x3D5;

static volatile u16* const s_screen = reinterpret_cast<volatile u16*>(0xB8000);
static u32 s_row, s_column;
static u8 s_attribute = 0x07; // light grey on black

static void move_cursor()
{
    u16 position = static_cast<u16>(s_row * COLUMNS + s_column);
    x86::outb(CRTC_INDEX, 0x0F);
    x86::outb(CRTC_DATA, position & 0xff);
    x86::outb(CRTC_INDEX, 0x0E);
    x86::outb(CRTC_DATA, position >> 8);
}

static u16 cell(char c) { return static_cast<u16>(static_cast<u8>(c) | (s_attribute << 8)); }

static void scroll()
{
    for (u32 i = 0; i < (ROWS - 1) * COLUMNS; ++i)
        s_screen[i] = s_screen[i + COLUMNS];
    for (u32 i = (ROWS - 1) * COLUMNS; i < ROWS * COLUMNS; ++i)
        s_screen[i] = cell(' ');
    s_row = ROWS - 1;
}

void vga_init()
{
    for (u32 i = 0; i < ROWS * COLUMNS; ++i)
        s_screen[i] = cell(' ');
    s_row = s_column = 0;
    move_cursor();
}

void vga_set_color(u8 attribute) { s_attribute = attribute; }

void vga_write_char(char c)
{
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
        s_screen[s_row * COLUMNS + s_column] = cell(c);
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
