// Runs the KERNEL_INIT and KERNEL_SHUTDOWN steps (init.h) in ascending order.
#include <kernel/init.h>
#include <kernel/lib/kprintf.h>

extern "C" const KernelInitStep __kernel_init_start[];
extern "C" const KernelInitStep __kernel_init_end[];
extern "C" const KernelInitStep __kernel_shutdown_start[];
extern "C" const KernelInitStep __kernel_shutdown_end[];

void run_kernel_init_steps() { run_init_steps(__kernel_init_start, __kernel_init_end, "init"); }

void run_kernel_shutdown_steps() { run_init_steps(__kernel_shutdown_start, __kernel_shutdown_end, "shutdown"); }

void run_init_steps(const KernelInitStep* steps, const KernelInitStep* end, const char* what)
{
    usize count = static_cast<usize>(end - steps);
    // Selection by order, stable for equal orders (link order), without
    // sorting the read-only section: run the smallest (order, index) pair not
    // yet run, each round.
    u32 last_order = 0;
    usize last_index = 0;
    bool first = true;
    for (usize round = 0; round < count; ++round) {
        const KernelInitStep* next = nullptr;
        usize next_index = 0;
        for (usize i = 0; i < count; ++i) {
            const auto& step = steps[i];
            bool after_last = first || step.order > last_order || (step.order == last_order && i > last_index);
            if (!after_last)
                continue;
            if (!next || step.order < next->order) {
                next = &step;
                next_index = i;
            }
        }
        if (!next)
            break;
        first = false;
        last_order = next->order;
        last_index = next_index;
        auto result = next->function();
        if (result.is_error())
            kprintf("%s: %s failed: %s\n", what, next->name, error_message(result.error()));
    }
}
