// The VGA text console: 80x25 cells at 0xB8000, scrolling, with the hardware
// cursor following the output (IBM VGA technical reference; osdev "Text UI").
#pragma once

#include <bareflow/types.h>

void vga_init();                 // clears the screen
void vga_write_char(char c);     // handles \n, \r, \b and \t
void vga_set_color(u8 attribute); // foreground | background << 4
