// ModuleAllocator: where modules, instances and module buffers get memory.
//
// microjit/ has no global allocator. The caller (the kernel's pools, or a
// host test's malloc wrapper) implements this interface and passes it to
// load_module() and create_instance(). Contract for implementations:
//   - allocate() returns memory aligned to at least `align` (always a power
//     of two <= 16; module buffers ask for 16), zero-filled, or nullptr when
//     out of memory (the loader turns that into Error::OutOfMemory);
//   - deallocate() receives exactly the pointer and size of one earlier
//     allocate(); nullptr is never passed.
#pragma once

#include <bareflow/types.h>

class ModuleAllocator {
public:
    virtual void* allocate(usize size, usize align) = 0;
    virtual void deallocate(void* pointer, usize size) = 0;

protected:
    ~ModuleAllocator() = default;
};
