// The VGA text console: 80x25 cells at 0xB8000, scrolling, with the hardware
// cursor following the output (IBM VGA technical reference; osdev "Text UI"),
// and a scrollback of the last 1000 lines that left the screen.
#pragma once

#include <bareflow/types.h>

void vga_init();                 // clears the screen
void vga_write_char(char c);     // handles \n, \r, \b and \t
void vga_set_color(u8 attribute); // foreground | background << 4

// Moves the view `lines` back into the scrollback (negative: towards the
// live screen), clamped at both ends; Shift+PgUp/PgDn on the PS/2 keyboard.
// The next output returns the view to the live screen.
void vga_scroll_view(int lines);
u32 vga_view_offset(); // lines scrolled back; 0 = live
constexpr int VGA_PAGE_LINES = 24;  // what one Shift+PgUp moves: a screen less a line of context
