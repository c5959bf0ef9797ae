// Kernel stack guard and high-water mark (see stack.h).
#include <bareflow/panic.h>
#include <kernel/arch/x86/stack.h>

extern "C" u32 kernel_stack_bottom[];
extern "C" u32 kernel_stack_top[];

usize kernel_stack_size()
{
    return static_cast<usize>(reinterpret_cast<u8*>(kernel_stack_top) - reinterpret_cast<u8*>(kernel_stack_bottom));
}

usize kernel_stack_peak_use()
{
    usize words = kernel_stack_size() / 4;
    usize untouched = 0;
    while (untouched < words && kernel_stack_bottom[untouched] == STACK_FILL)
        ++untouched;
    return kernel_stack_size() - untouched * 4;
}

void kernel_stack_check(u32 esp)
{
    auto bottom = reinterpret_cast<u32>(kernel_stack_bottom);
    auto top = reinterpret_cast<u32>(kernel_stack_top);
    // Only the kernel stack is guarded (the double-fault task has its own).
    if (esp > bottom && esp <= top && esp < bottom + STACK_GUARD_BYTES)
        panic("kernel stack overflow: ESP is inside the 4 KiB guard at the bottom of the 256 KiB stack");
    for (usize i = 0; i < STACK_GUARD_BYTES / 4; ++i) {
        if (kernel_stack_bottom[i] != STACK_FILL)
            panic("kernel stack overflow: the 4 KiB guard at the bottom of the 256 KiB stack was overwritten");
    }
}
