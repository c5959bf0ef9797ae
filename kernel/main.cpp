// kernel_main: from the entry code (arch/x86/entry.asm) to the shell.
//
// The order matters: the console first, so anything after can report;
// descriptor tables before anything can fault usefully; the clock before
// the timer interrupt; memory before the KERNEL_INIT steps, which may
// allocate; the banner last, when the shell is about to read.
#include <bareflow/panic.h>
#include <kernel/arch/x86/cpu.h>
#include <kernel/arch/x86/cpu_info.h>
#include <kernel/arch/x86/descriptors.h>
#include <kernel/arch/x86/pic.h>
#include <kernel/boot_info.h>
#include <kernel/drivers/keyboard.h>
#include <kernel/drivers/serial.h>
#include <kernel/drivers/vga.h>
#include <kernel/init.h>
#include <kernel/startup/boot_hooks.h>
#include <kernel/lib/kprintf.h>
#include <kernel/lib/string.h>
#include <kernel/mm/heap.h>
#include <kernel/mm/pmm.h>
#include <kernel/shell/shell.h>
#include <kernel/time/clock.h>
#include <kernel/time/pit.h>
#include <kernel/time/tsc.h>
#include <kernel/version.h>

extern "C" u8 __kernel_start[];
extern "C" u8 __image_end[];
extern "C" u8 __kernel_end[];

// The kernel's own copy: the loader's one lives in low memory that later
// code (a real-mode thunk, a DMA buffer) may reuse.
static BootInfo s_boot_info;

const BootInfo& boot_info() { return s_boot_info; }

// Proves the entry code ran .init_array: with a broken linker script every
// global object would otherwise stay silently unconstructed. The volatile
// read keeps GCC from folding the constructor into static data.
static volatile bool s_true = true;
struct ConstructorProbe {
    bool ran { false };
    ConstructorProbe() { ran = s_true; }
};
static ConstructorProbe s_constructor_probe;

static const char* a20_method_name(u32 method)
{
    switch (method) {
    case 0:
        return "already on";
    case 1:
        return "BIOS 2401h";
    case 2:
        return "keyboard controller";
    case 3:
        return "port 0x92";
    default:
        return "unknown";
    }
}

extern "C" [[noreturn]] void kernel_main(const BootInfo* boot_info)
{
    // The clock's zero. Every CPU with SSE2 has a TSC; the check below only
    // turns a broken CPUID into a message.
    bool has_tsc = cpu_info().has_tsc;
    u64 boot_tsc = has_tsc ? x86::rdtsc() : 0;
    serial_init();
    vga_init();
    kprintf("\nBareFlow %s booting\n", BAREFLOW_VERSION);

    if (!s_constructor_probe.ran)
        panic("global constructors did not run (.init_array)");
    if (boot_info->magic != BOOT_INFO_MAGIC || boot_info->version != BOOT_INFO_VERSION)
        panic("the BootInfo from the loader has a bad magic or version");
    memcpy(&s_boot_info, boot_info, sizeof(BootInfo));

    descriptors_init();
    pic_init();
    if (!has_tsc)
        panic("this CPU has no time-stamp counter (CPUID.1:EDX.TSC); BareFlow needs one");
    tsc_calibrate(boot_tsc);

    // Memory the PMM must never hand out. What the loader loaded may be
    // longer than the linked image (a padded kernel, data appended to it).
    const PhysicalRange reserved[] = {
        { reinterpret_cast<u32>(__kernel_start), reinterpret_cast<u32>(__kernel_end) },
        { s_boot_info.kernel_address, static_cast<u64>(s_boot_info.kernel_address) + s_boot_info.kernel_size },
        { reinterpret_cast<u32>(boot_info), reinterpret_cast<u32>(boot_info) + sizeof(BootInfo) },
    };
    pmm_init(s_boot_info, reserved, sizeof(reserved) / sizeof(reserved[0]));
    heap_init();

    pit_start_ticks();
    serial_enable_input_interrupts();
    keyboard_init();
    x86::enable_interrupts();

    auto memory = pmm_stats();
    kprintf("kernel: %u KiB image at %p, %u KiB with .bss; boot drive %#x, A20 %s\n",
            static_cast<u32>(__image_end - __kernel_start) / 1024, __kernel_start,
            static_cast<u32>(__kernel_end - __kernel_start) / 1024, s_boot_info.boot_drive,
            a20_method_name(s_boot_info.a20_method));
    kprintf("memory: %llu KiB usable (%s), %llu KiB free above 1 MiB; TSC %llu MHz\n", memory.usable_bytes / 1024,
            memory.from_e820 ? "E820" : "E801", memory.free_bytes / 1024, tsc_hz() / 1000000);

    run_kernel_init_steps();

    kprintf("BareFlow %s ready%s\n", BAREFLOW_VERSION, boot_banner_suffix());
    run_autorun_script();
    shell_run();
}
