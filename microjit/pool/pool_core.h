// PoolCore: the one allocator behind BareFlow's three memory pools.
//
// The micro-JIT never asks a global heap for memory. The caller (the kernel at
// boot from E820 memory, or a host program from mmap) hands each pool one
// contiguous region, and the pool carves blocks out of it:
//
//   code pool      machine code; 16-byte aligned; freed blocks are filled with
//                  int3 so a stale jump into them traps at once
//   data pool      module buffers and tensors; 16-byte aligned, 64 on request
//   metadata pool  small objects: module and function records, profiles
//
// All three are the same allocator (pool.h instantiates the Pool template
// three times with a Policy each). It is a boundary-tag allocator with one
// address-ordered free list, first fit, and immediate coalescing with both
// neighbours. Each block starts with a 16-byte header just before the address
// handed out, so every payload is 16-byte aligned and the header of the next
// block doubles as a guard: free() finds an overrun there.
//
// Expected failure is a value: exhaustion returns Error::PoolExhausted and
// counts a failure; the pool is untouched. A broken invariant (a pointer that
// is outside the pool, misaligned, already freed, or a header that was
// overwritten) panics with a message that names the pool and the address.
#pragma once

#include <bareflow/error_or.h>
#include <bareflow/types.h>

struct PoolStats {
    usize capacity { 0 };      // bytes in the region the pool manages
    usize used { 0 };          // bytes in live blocks, headers included
    usize peak { 0 };          // the highest `used` ever seen
    usize free_blocks { 0 };   // number of blocks on the free list
    usize largest_free { 0 };  // the biggest single allocation that would succeed (16-byte aligned)
    u32 allocations { 0 };     // successful allocate() calls
    u32 frees { 0 };           // free() calls
    u32 failures { 0 };        // allocate() calls that returned PoolExhausted
};

struct PoolPolicy {
    const char* name;       // "code", "data", "metadata": used in panic messages and stats
    usize default_align;    // alignment of a plain allocate(size)
    usize max_align;        // the largest alignment a caller may request
    int fill_on_free;       // byte written over freed payloads, or -1 for none
};

class PoolCore {
public:
    static constexpr usize granule = 16;
    static constexpr usize header_size = 16;

    PoolCore() = default;
    PoolCore(const PoolCore&) = delete;
    PoolCore& operator=(const PoolCore&) = delete;

    // Takes over [base, base + size). base is rounded up and size down to
    // 16 bytes; a region too small to hold one block leaves an empty pool
    // whose every allocation fails.
    void init(const PoolPolicy& policy, void* base, usize size);

    // A block of at least `size` bytes whose address is a multiple of
    // `align` (0 means the policy's default; a power of two up to max_align,
    // else panic: a caller bug, not a run-time condition).
    ErrorOr<void*> allocate(usize size, usize align = 0);

    // Returns the block starting at p to the pool. Panics on a pointer the
    // pool did not hand out, a double free or a corrupted header.
    void free(void* p);

    // Gives the tail of a live block back, keeping its first new_size bytes.
    // Used by the JIT, which allocates for the worst case and trims after
    // emitting. new_size larger than the block panics.
    void shrink(void* p, usize new_size);

    // The usable bytes of the live block at p (at least what was asked for).
    usize block_size(const void* p) const;

    bool contains(const void* p) const;
    bool is_live_block(const void* p) const;
    PoolStats stats() const;
    const char* name() const { return m_policy.name; }

    // Walks every block and checks all boundary tags and the free list.
    // Panics on the first inconsistency; the tests call it after every step.
    void check_consistency() const;

    struct Header;

private:

    Header* header_at(uptr address) const;
    Header* next_of(Header*) const;
    Header* prev_of(Header*) const;
    Header* header_of_payload(const void* p) const;
    void link_free(Header*);
    void unlink_free(Header*);
    void mark_free(Header*, usize size, usize prev_size);
    void mark_live(Header*, usize size, usize prev_size);
    void set_prev_size_of_next(Header*);
    void split_tail(Header*, usize keep);
    Header* coalesce(Header*);
    [[noreturn]] void fail(const char* what, const void* address) const;

    PoolPolicy m_policy { "unset", 16, 16, -1 };
    uptr m_base { 0 };
    uptr m_end { 0 };
    Header* m_free_head { nullptr };
    usize m_used { 0 };
    usize m_peak { 0 };
    usize m_free_blocks { 0 };
    u32 m_allocations { 0 };
    u32 m_frees { 0 };
    u32 m_failures { 0 };
};
