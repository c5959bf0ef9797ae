// The kernel heap: kmalloc/kfree over arenas carved from the physical memory
// manager. First fit over a free list, boundary tags for coalescing with both
// neighbours, 16-byte aligned payloads (SSE loads). The heap grows by taking
// another arena from the PMM when no free block is large enough.
// Not for interrupt handlers: the heap takes no lock, and the kernel runs
// one thread, so only IRQ context could interleave with it.
#pragma once

#include <bareflow/types.h>

// Returns a 16-byte aligned block of at least `bytes` bytes, or nullptr when
// memory is exhausted. kmalloc(0) returns a valid, unique minimal block.
void* kmalloc(usize bytes);
// The same, zero-filled.
void* kzalloc(usize bytes);
// Releases a block from kmalloc. kfree(nullptr) does nothing. A pointer that
// is not a live heap block panics ("heap: double free of 0x...").
void kfree(void* pointer);

struct HeapStats {
    usize arena_bytes;     // bytes taken from the PMM for the heap
    usize used_bytes;      // payload bytes handed out, headers included
    usize free_bytes;      // bytes in free blocks
    usize largest_free;    // the largest free block
    usize allocations;     // live allocations
    usize arenas;          // arenas taken from the PMM
};
HeapStats heap_stats();

// Called once by kernel_main after pmm_init().
void heap_init();
