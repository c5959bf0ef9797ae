// Constructing an object in storage the caller owns, without <new>.
//
// Portable microjit code may not include libstdc++ headers, yet the x86
// Assembler (about 16 KiB of label and site tables) must be built in place:
// on the JIT's context rather than on a small kernel stack. A placement
// operator new with its own tag parameter is an ordinary user overload, so it
// never collides with the standard one when a host file includes <new>.
#pragma once

#include <bareflow/types.h>

struct ConstructInPlace {
};

inline void* operator new(usize, void* where, ConstructInPlace) noexcept { return where; }
inline void operator delete(void*, void*, ConstructInPlace) noexcept { }

// A slot that holds at most one T at a time, built and destroyed explicitly.
template<typename T>
class InPlace {
public:
    template<typename... Args>
    T& construct(Args... args)
    {
        destroy();
        m_object = new (m_storage, ConstructInPlace {}) T(args...);
        return *m_object;
    }
    void destroy()
    {
        if (m_object)
            m_object->~T();
        m_object = nullptr;
    }
    ~InPlace() { destroy(); }
    T* get() { return m_object; }

private:
    alignas(T) u8 m_storage[sizeof(T)];
    T* m_object { nullptr };
};
