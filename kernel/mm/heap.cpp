// kmalloc/kfree: first fit over an explicit free list, with boundary tags so
// a freed block merges with both neighbours in constant time (Knuth, TAOCP
// Vol. 1, 2.5, "boundary tag" method).
//
// An arena is one region from pmm_alloc_region():
//   [block][block]...[block][end sentinel]
// Every block starts with a 16-byte BlockHeader (so payloads stay 16-byte
// aligned) holding its own size and the size of the block before it. The end
// sentinel is a permanently used, header-only block; the first block has
// previous_size 0. A free block keeps its list links in its payload.
#include <bareflow/panic.h>
#include <kernel/lib/format.h>
#include <kernel/lib/string.h>
#include <kernel/mm/heap.h>
#include <kernel/mm/pmm.h>

namespace {

constexpr u32 MAGIC_USED = 0x55534544; // "USED"
constexpr u32 MAGIC_FREE = 0x46524545; // "FREE"
constexpr usize HEADER_SIZE = 16;
constexpr usize MIN_BLOCK = 32; // header + the two free-list links, rounded
constexpr usize ARENA_MIN = 1024 * 1024;

struct BlockHeader {
    u32 size;          // whole block, header included; multiple of 16
    u32 previous_size; // size of the block just below, 0 for an arena's first
    u32 magic;         // MAGIC_USED or MAGIC_FREE
    u32 reserved;
};
static_assert(sizeof(BlockHeader) == HEADER_SIZE);

struct FreeLinks {
    BlockHeader* previous;
    BlockHeader* next;
};

BlockHeader* s_free_list;
HeapStats s_stats;

FreeLinks& links(BlockHeader* block) { return *reinterpret_cast<FreeLinks*>(block + 1); }
BlockHeader* next_block(BlockHeader* block) { return reinterpret_cast<BlockHeader*>(reinterpret_cast<u8*>(block) + block->size); }
BlockHeader* previous_block(BlockHeader* block)
{
    return block->previous_size ? reinterpret_cast<BlockHeader*>(reinterpret_cast<u8*>(block) - block->previous_size) : nullptr;
}

void list_push(BlockHeader* block)
{
    block->magic = MAGIC_FREE;
    links(block) = { nullptr, s_free_list };
    if (s_free_list)
        links(s_free_list).previous = block;
    s_free_list = block;
}

void list_remove(BlockHeader* block)
{
    auto& l = links(block);
    if (l.previous)
        links(l.previous).next = l.next;
    else
        s_free_list = l.next;
    if (l.next)
        links(l.next).previous = l.previous;
}

bool add_arena(usize minimum_block)
{
    usize size = minimum_block + HEADER_SIZE > ARENA_MIN ? minimum_block + HEADER_SIZE : ARENA_MIN;
    size = (size + 4095) & ~static_cast<usize>(4095);
    auto region = pmm_alloc_region(size, 4096);
    if (region.is_error())
        return false;
    auto* first = static_cast<BlockHeader*>(region.value());
    first->size = static_cast<u32>(size - HEADER_SIZE);
    first->previous_size = 0;
    auto* sentinel = next_block(first);
    sentinel->size = HEADER_SIZE;
    sentinel->previous_size = first->size;
    sentinel->magic = MAGIC_USED;
    list_push(first);
    s_stats.arena_bytes += size;
    s_stats.arenas += 1;
    return true;
}

BlockHeader* find_fit(usize block_size)
{
    for (auto* b = s_free_list; b; b = links(b).next) {
        if (b->size >= block_size)
            return b;
    }
    return nullptr;
}

[[noreturn]] void bad_pointer(const char* what, void* pointer)
{
    static char message[96];
    format_to(message, sizeof(message), "heap: %s of %p", what, pointer);
    panic(message);
}

} // namespace

void heap_init()
{
    if (!add_arena(ARENA_MIN - HEADER_SIZE))
        panic("heap: no memory for the first arena");
}

void* kmalloc(usize bytes)
{
    if (bytes > 0x7FFF0000)
        return nullptr;
    usize block_size = (bytes + HEADER_SIZE + 15) & ~static_cast<usize>(15);
    if (block_size < MIN_BLOCK)
        block_size = MIN_BLOCK;
    auto* block = find_fit(block_size);
    if (!block) {
        if (!add_arena(block_size))
            return nullptr;
        block = find_fit(block_size);
    }
    list_remove(block);
    if (block->size - block_size >= MIN_BLOCK) {
        // Split: the tail stays free.
        auto* rest = reinterpret_cast<BlockHeader*>(reinterpret_cast<u8*>(block) + block_size);
        rest->size = block->size - static_cast<u32>(block_size);
        rest->previous_size = static_cast<u32>(block_size);
        next_block(rest)->previous_size = rest->size;
        block->size = static_cast<u32>(block_size);
        list_push(rest);
    }
    block->magic = MAGIC_USED;
    s_stats.used_bytes += block->size;
    s_stats.allocations += 1;
    return block + 1;
}

void* kzalloc(usize bytes)
{
    void* p = kmalloc(bytes);
    if (p)
        memset(p, 0, bytes);
    return p;
}

void kfree(void* pointer)
{
    if (!pointer)
        return;
    if (reinterpret_cast<uptr>(pointer) & 15)
        bad_pointer("free of a misaligned pointer", pointer);
    auto* block = static_cast<BlockHeader*>(pointer) - 1;
    if (block->magic == MAGIC_FREE)
        bad_pointer("double free", pointer);
    if (block->magic != MAGIC_USED)
        bad_pointer("free of a pointer kmalloc never returned (or a corrupted block)", pointer);
    s_stats.used_bytes -= block->size;
    s_stats.allocations -= 1;

    auto* next = next_block(block);
    if (next->magic == MAGIC_FREE) {
        list_remove(next);
        block->size += next->size;
        next->magic = 0;
    }
    auto* previous = previous_block(block);
    if (previous && previous->magic == MAGIC_FREE) {
        list_remove(previous);
        previous->size += block->size;
        block->magic = 0;
        block = previous;
    }
    next_block(block)->previous_size = block->size;
    list_push(block);
}

HeapStats heap_stats()
{
    HeapStats stats = s_stats;
    stats.free_bytes = 0;
    stats.largest_free = 0;
    for (auto* b = s_free_list; b; b = links(b).next) {
        stats.free_bytes += b->size;
        if (b->size > stats.largest_free)
            stats.largest_free = b->size;
    }
    return stats;
}
