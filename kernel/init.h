// Boot-time steps registered from anywhere in the kernel, without a central
// list.
//
// kernel_main() brings up the core by hand (console, descriptor tables, memory,
// clocks), then runs every KERNEL_INIT step in ascending `order`, and only then
// prints the banner and starts the shell. A subsystem adds a step in its own
// file:
//
//     #include <kernel/init.h>
//
//     static ErrorOr<void> mount_boot_volume()
//     {
//         TRY(fat16_mount(...));
//         return {};
//     }
//     KERNEL_INIT(KERNEL_INIT_FILESYSTEMS, "fat16-mount", mount_boot_volume);
//
// A step that returns an error is reported on the console
// ("init: fat16-mount failed: no FAT16 partition found") and the boot goes on:
// the shell is more useful than a halt. A broken invariant still panics.
// Steps with the same order run in link order; use distinct orders when one
// step needs another.
#pragma once

#include <bareflow/error_or.h>
#include <bareflow/types.h>

// Suggested order bands (steps may use any value in between).
enum KernelInitOrder : u32 {
    KERNEL_INIT_PLATFORM = 100,    // extra CPU or board set-up
    KERNEL_INIT_DEVICES = 200,     // block devices (ATA), input devices
    KERNEL_INIT_FILESYSTEMS = 300, // mounting the FAT16 boot volume
    KERNEL_INIT_MODULES = 400,     // loading Flow modules from the volume
    KERNEL_INIT_SERVICES = 500,    // anything that needs all of the above (JIT, snapshots)
};

struct KernelInitStep {
    u32 order;
    const char* name;
    ErrorOr<void> (*function)();
};

#define KERNEL_INIT_CONCAT_(a, b) a##b
#define KERNEL_INIT_CONCAT(a, b) KERNEL_INIT_CONCAT_(a, b)

// Places a KernelInitStep in the .kernel_init section; linker.ld collects the
// section between __kernel_init_start and __kernel_init_end.
#define KERNEL_INIT(order, name, fn)                                                          \
    [[gnu::used, gnu::section(".kernel_init"), gnu::aligned(4)]] static const KernelInitStep \
        KERNEL_INIT_CONCAT(kernel_init_step_, __COUNTER__) = { (order), (name), (fn) }

// Shutdown steps: the same shape, run in ascending order by `poweroff`
// before it leaves the machine (never by a panic: a kernel in an unknown
// state must not write to disk). For example:
//
//     static ErrorOr<void> flush_boot_volume() { return boot_volume_sync(); }
//     KERNEL_SHUTDOWN(KERNEL_SHUTDOWN_FILESYSTEMS, "fat16-sync", flush_boot_volume);
//
// A failing step is reported ("shutdown: fat16-sync failed: disk I/O error")
// and the power-off goes on.
enum KernelShutdownOrder : u32 {
    KERNEL_SHUTDOWN_SERVICES = 100,    // stop what uses files (snapshots, JIT caches)
    KERNEL_SHUTDOWN_FILESYSTEMS = 200, // flush and mark volumes clean
    KERNEL_SHUTDOWN_DEVICES = 300,     // quiesce devices (disk caches)
};

#define KERNEL_SHUTDOWN(order, name, fn)                                                          \
    [[gnu::used, gnu::section(".kernel_shutdown"), gnu::aligned(4)]] static const KernelInitStep \
        KERNEL_INIT_CONCAT(kernel_shutdown_step_, __COUNTER__) = { (order), (name), (fn) }

// Runs the registered init steps in order (called once by kernel_main).
void run_kernel_init_steps();
// Runs the registered shutdown steps in order (called by `poweroff`).
void run_kernel_shutdown_steps();

// Runs the steps of [begin, end) in ascending order, equal orders in array
// order, reporting a failure as "<what>: <name> failed: <message>".
// run_kernel_init_steps() passes the .kernel_init section with "init";
// host tests pass their own arrays.
void run_init_steps(const KernelInitStep* begin, const KernelInitStep* end, const char* what = "init");
