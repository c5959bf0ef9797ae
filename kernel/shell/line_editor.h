// Reads one command line from the console with editing: backspace (BS or
// DEL), Ctrl-U (erase the line), Ctrl-C (abandon it), and history through the
// up/down arrows (ESC [ A / ESC [ B, or ESC O A / ESC O B). A line ends at
// CR, LF or CRLF, so piped input from any platform works.
#pragma once

#include <bareflow/types.h>

constexpr usize LINE_MAX = 256;

// Blocks (halting the CPU between interrupts) until a line is complete;
// writes it NUL-terminated into `line` (LINE_MAX bytes) and returns its
// length. Non-empty lines are added to the history.
usize read_line(char* line);

// Blocks until a byte arrives on the console input (COM1 or the PS/2
// keyboard, whichever has one first).
u8 console_read_byte();

// Work for an idle machine (the periodic JIT snapshot save): read_line()
// calls `hook` after each interrupt that wakes it while it waits with an
// empty line, so the hook runs in the shell's own context, never in an
// interrupt handler and never while a command (or native code) runs. It must
// return quickly when it has nothing to do (it runs up to 100 times a second)
// and should print nothing, since the prompt is already on the screen.
// nullptr removes it.
void set_line_idle_hook(void (*hook)());
