// Tier 2's bump arena: every IR node, list and bit set of one compilation lives
// in memory the caller hands over, and is dropped wholesale when the
// compilation ends. Tier 2 runs before the pools exist in some tests and inside
// the kernel in others, so it never asks anyone else for memory: the caller
// backs the arena (a stack buffer, a pool block, a static area) and tier 2 only
// carves it up. Running out is an expected failure (Error::OutOfMemory), never
// a panic: a function too large for the arena simply stays at tier 1.
#pragma once

#include <bareflow/error_or.h>
#include <bareflow/types.h>

namespace Tier2 {

class Arena {
public:
    Arena(void* memory, usize size)
        : m_base(static_cast<u8*>(memory))
        , m_size(size)
    {
    }

    // Zero-filled storage for `count` objects of T, aligned for T. The IR types
    // are trivially constructible; zero is their empty state.
    template<typename T>
    ErrorOr<T*> allocate(usize count = 1)
    {
        void* p = allocate_bytes(sizeof(T) * count, alignof(T));
        if (!p)
            return Error::OutOfMemory;
        return static_cast<T*>(p);
    }

    // Raw storage; nullptr when the arena is exhausted (or the request would
    // overflow), so callers can convert that into an Error.
    void* allocate_bytes(usize bytes, usize align)
    {
        usize start = (m_used + align - 1) & ~(align - 1);
        if (start < m_used || start > m_size || bytes > m_size - start)
            return nullptr;
        u8* p = m_base + start;
        for (usize i = 0; i < bytes; ++i)
            p[i] = 0;
        m_used = start + bytes;
        return p;
    }

    usize used() const { return m_used; }
    usize capacity() const { return m_size; }

    // A compilation may be abandoned half-way (e.g. a pattern that does not
    // match after all); rewinding to a saved mark drops what it built.
    usize mark() const { return m_used; }
    void rewind(usize mark)
    {
        if (mark <= m_used)
            m_used = mark;
    }

private:
    u8* m_base { nullptr };
    usize m_size { 0 };
    usize m_used { 0 };
};

}
