// Built-in commands that describe the machine: mem and cpu.
#include <kernel/arch/x86/cpu.h>
#include <kernel/arch/x86/cpu_info.h>
#include <kernel/arch/x86/stack.h>
#include <kernel/lib/kprintf.h>
#include <kernel/lib/string.h>
#include <kernel/mm/heap.h>
#include <kernel/mm/pmm.h>
#include <kernel/shell/command.h>

static ErrorOr<void> cmd_mem(int argc, char** argv)
{
    bool verbose = argc == 2 && string_equals(argv[1], "-v");
    if (argc > 2 || (argc == 2 && !verbose))
        return Error::BadArguments;
    auto pmm = pmm_stats();
    kprintf("usable RAM (%s): %llu KiB (%llu MiB)\n", pmm.from_e820 ? "E820" : "E801", pmm.usable_bytes / 1024,
            pmm.usable_bytes / (1024 * 1024));
    kprintf("  above 1 MiB: %llu KiB; kernel and boot data: %llu KiB; regions handed out: %llu KiB; free: %llu KiB\n",
            pmm.usable_above_1m / 1024, pmm.reserved_for_kernel / 1024, pmm.allocated_bytes / 1024,
            pmm.free_bytes / 1024);
    auto heap = heap_stats();
    kprintf("heap: %zu KiB in %zu arena(s); %zu bytes used by %zu allocation(s); %zu KiB free (largest block %zu KiB)\n",
            heap.arena_bytes / 1024, heap.arenas, heap.used_bytes, heap.allocations, heap.free_bytes / 1024,
            heap.largest_free / 1024);
    kprintf("kernel stack: %zu KiB, deepest use so far %zu bytes\n", kernel_stack_size() / 1024,
            kernel_stack_peak_use());
    if (verbose)
        pmm_dump();
    return {};
}
SHELL_COMMAND("mem", "mem [-v]", "usable RAM from the firmware's map, and the heap's use (-v: the map)", cmd_mem);

static ErrorOr<void> cmd_cpu(int argc, char**)
{
    if (argc != 1)
        return Error::BadArguments;
    const auto& info = cpu_info();
    kprintf("vendor:   %s\n", info.vendor);
    if (info.brand[0]) {
        const char* brand = info.brand;
        while (*brand == ' ')
            ++brand;
        kprintf("brand:    %s\n", brand);
    }
    kprintf("family %u, model %u, stepping %u (max basic CPUID leaf %xh)\n", info.family, info.model, info.stepping,
            info.max_basic_leaf);

    struct Flag {
        const char* name;
        bool present;
    };
    const Flag flags[] = {
        { "tsc", info.has_tsc }, { "sse", info.has_sse }, { "sse2", info.has_sse2 },
        { "sse3", info.has_sse3 }, { "ssse3", info.has_ssse3 }, { "sse4.1", info.has_sse41 },
        { "sse4.2", info.has_sse42 }, { "popcnt", info.has_popcnt }, { "avx", info.has_avx },
        { "avx2", info.has_avx2 }, { "fma", info.has_fma }, { "bmi1", info.has_bmi1 },
        { "bmi2", info.has_bmi2 }, { "xsave", info.has_xsave }, { "osxsave", info.has_osxsave },
    };
    kprintf("features:");
    for (const auto& f : flags) {
        if (f.present)
            kprintf(" %s", f.name);
    }
    kprintf("\nmissing: ");
    bool any_missing = false;
    for (const auto& f : flags) {
        if (!f.present) {
            kprintf(" %s", f.name);
            any_missing = true;
        }
    }
    kprintf("%s\n", any_missing ? "" : " none");

    u32 enabled = kernel_cpu_enabled;
    kprintf("enabled:  ");
    if (enabled & x86::CPU_ENABLED_SSE)
        kprintf(" sse/sse2 (CR0.EM=0 MP=1, CR4.OSFXSR, CR4.OSXMMEXCPT)");
    if (enabled & x86::CPU_ENABLED_XSAVE)
        kprintf(" xsave (CR4.OSXSAVE)");
    if (enabled & x86::CPU_ENABLED_AVX)
        kprintf(" avx (XCR0=%#llx)", x86::read_xcr0());
    kprintf("\n");
    return {};
}
SHELL_COMMAND("cpu", "cpu", "CPU vendor, model and features (CPUID), and what the kernel enabled", cmd_cpu);
