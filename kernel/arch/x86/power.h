// Leaving the machine: QEMU's isa-debug-exit device (iobase 0xf4, iosize 4)
// makes QEMU exit with status (value << 1) | 1. On a real PC the port is
// unused and the write does nothing, so the caller halts afterwards.
#pragma once

#include <bareflow/types.h>

constexpr u16 DEBUG_EXIT_PORT = 0xF4;
constexpr u8 EXIT_POWEROFF = 0x10; // QEMU status 33: documented success
constexpr u8 EXIT_PANIC = 0x11;    // QEMU status 35: panic or CPU exception

// Writes `code` to the debug-exit port, then halts with interrupts off.
[[noreturn]] void machine_exit(u8 code);
