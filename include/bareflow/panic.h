// panic(): the one way portable code (microjit/, fs/fat16/) reports a broken
// invariant. The kernel's version prints the message and the registers on
// serial and VGA, then halts (or exits QEMU with a failure status); the host's
// version prints to stderr and aborts, which GoogleTest death tests observe.
#pragma once

[[noreturn]] void panic(const char* message);
