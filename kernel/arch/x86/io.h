// x86 port I/O (Intel SDM Vol. 2: IN, OUT, INS, OUTS). Every driver that
// talks to a port goes through these, so privileged instructions stay in
// kernel/arch/x86/.
#pragma once

#include <bareflow/types.h>

namespace x86 {

inline u8 inb(u16 port)
{
    u8 value;
    asm volatile("inb %1, %0" : "=a"(value) : "Nd"(port));
    return value;
}

inline u16 inw(u16 port)
{
    u16 value;
    asm volatile("inw %1, %0" : "=a"(value) : "Nd"(port));
    return value;
}

inline u32 inl(u16 port)
{
    u32 value;
    asm volatile("inl %1, %0" : "=a"(value) : "Nd"(port));
    return value;
}

inline void outb(u16 port, u8 value) { asm volatile("outb %0, %1" : : "a"(value), "Nd"(port)); }
inline void outw(u16 port, u16 value) { asm volatile("outw %0, %1" : : "a"(value), "Nd"(port)); }
inline void outl(u16 port, u32 value) { asm volatile("outl %0, %1" : : "a"(value), "Nd"(port)); }

// Reads `count` 16-bit words from `port` into `buffer` (ATA PIO data transfers).
inline void insw(u16 port, void* buffer, usize count)
{
    asm volatile("cld; rep insw" : "+D"(buffer), "+c"(count) : "d"(port) : "memory");
}

// Writes `count` 16-bit words from `buffer` to `port`.
inline void outsw(u16 port, const void* buffer, usize count)
{
    asm volatile("cld; rep outsw" : "+S"(buffer), "+c"(count) : "d"(port) : "memory");
}

// A write to the unused POST port 0x80 takes about 1 us: the classic delay
// between accesses to slow ISA devices (PIC, PIT, CMOS).
inline void io_wait() { outb(0x80, 0); }

} // namespace x86
