// The little C++ runtime support a freestanding kernel needs without
// libstdc++/libsupc++: global operator new/delete on the kernel heap, the
// pure-virtual trap, and atexit (global destructors never run: the kernel
// never exits normally).
#include <bareflow/panic.h>
#include <kernel/mm/heap.h>

void* operator new(usize size)
{
    void* p = kmalloc(size);
    if (!p)
        panic("operator new: kernel heap exhausted");
    return p;
}

void* operator new[](usize size) { return operator new(size); }
void operator delete(void* p) noexcept { kfree(p); }
void operator delete[](void* p) noexcept { kfree(p); }
void operator delete(void* p, usize) noexcept { kfree(p); }
void operator delete[](void* p, usize) noexcept { kfree(p); }

extern "C" void __cxa_pure_virtual() { panic("pure virtual function called"); }

// With -fno-use-cxa-atexit, GCC registers global destructors with atexit().
extern "C" int atexit(void (*)()) { return 0; }
void* __dso_handle = nullptr;
