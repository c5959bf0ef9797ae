// The boundary-tag allocator behind every pool; see pool_core.h for the why.
//
// Block layout (all sizes are multiples of 16, so every payload is 16-aligned):
//
//   +0  u32 size | state   block size including this header; the low four
//                          bits hold the state (0x9 live, 0x6 free)
//   +4  u32 prev_size      size of the block just below, 0 for the first
//   +8  u32 live: tag      (live_magic ^ header address); free: next free block
//   +12 u32 live: ~tag     free: previous free block
//   +16 payload            what allocate() returns
//
// A live block's two tag words act as a guard: an overrun of the block below
// destroys them, and free() or check_consistency() reports it.
#include <bareflow/panic.h>
#include <microjit/pool/pool_core.h>

namespace {

constexpr u32 state_mask = 0xF;
constexpr u32 state_live = 0x9;
constexpr u32 state_free = 0x6;
constexpr u32 live_magic = 0xB10C5AFE;

// Panic messages name the pool and the address; no libc here, so format by hand.
char g_message[160];

usize append(usize at, const char* text)
{
    while (*text && at + 1 < sizeof(g_message))
        g_message[at++] = *text++;
    g_message[at] = 0;
    return at;
}

usize append_hex(usize at, uptr value)
{
    char digits[2 + 2 * sizeof(uptr) + 1];
    digits[0] = '0';
    digits[1] = 'x';
    for (usize i = 0; i < 2 * sizeof(uptr); ++i) {
        unsigned nibble = (value >> (4 * (2 * sizeof(uptr) - 1 - i))) & 0xF;
        digits[2 + i] = static_cast<char>(nibble < 10 ? '0' + nibble : 'a' + nibble - 10);
    }
    digits[sizeof(digits) - 1] = 0;
    return append(at, digits);
}

bool is_power_of_two(usize v) { return v && !(v & (v - 1)); }
uptr align_up(uptr v, usize a) { return (v + a - 1) & ~static_cast<uptr>(a - 1); }

} // namespace

struct PoolCore::Header {
    u32 size_state;
    u32 prev_size;
    u32 word2;
    u32 word3;

    u32 size() const { return size_state & ~state_mask; }
    u32 state() const { return size_state & state_mask; }
    bool is_live() const { return state() == state_live; }
    bool is_free() const { return state() == state_free; }
    u32 tag() const { return live_magic ^ static_cast<u32>(reinterpret_cast<uptr>(this)); }
    bool tags_ok() const { return word2 == tag() && word3 == ~tag(); }
    Header* next_free() const { return reinterpret_cast<Header*>(static_cast<uptr>(word2)); }
    Header* prev_free() const { return reinterpret_cast<Header*>(static_cast<uptr>(word3)); }
    void set_next_free(Header* h) { word2 = static_cast<u32>(reinterpret_cast<uptr>(h)); }
    void set_prev_free(Header* h) { word3 = static_cast<u32>(reinterpret_cast<uptr>(h)); }
    u8* payload() { return reinterpret_cast<u8*>(this) + header_size; }
};
static_assert(sizeof(PoolCore::Header) == PoolCore::header_size, "a header is one granule");

void PoolCore::fail(const char* what, const void* address) const
{
    usize at = append(0, "pool ");
    at = append(at, m_policy.name);
    at = append(at, ": ");
    at = append(at, what);
    at = append(at, " ");
    append_hex(at, reinterpret_cast<uptr>(address));
    panic(g_message);
}

void PoolCore::init(const PoolPolicy& policy, void* base, usize size)
{
    if (!is_power_of_two(policy.default_align) || policy.default_align < granule
        || !is_power_of_two(policy.max_align) || policy.max_align < policy.default_align)
        panic("pool: policy alignments must be powers of two of at least 16");
    m_policy = policy;
    uptr start = align_up(reinterpret_cast<uptr>(base), granule);
    uptr end = (reinterpret_cast<uptr>(base) + size) & ~static_cast<uptr>(granule - 1);
    // Sizes live in 32-bit header fields: one pool manages under 4 GiB.
    if (end > start && end - start >= 0xFFFFFFF0u)
        end = start + 0xFFFFFFF0u;
    m_base = start;
    m_end = end > start ? end : start;
    m_free_head = nullptr;
    m_used = m_peak = m_free_blocks = 0;
    m_allocations = m_frees = m_failures = 0;
    if (m_end - m_base >= header_size) {
        auto* h = header_at(m_base);
        mark_free(h, m_end - m_base, 0);
        if (m_policy.fill_on_free >= 0)
            __builtin_memset(h->payload(), m_policy.fill_on_free, h->size() - header_size);
        link_free(h);
    }
}

PoolCore::Header* PoolCore::header_at(uptr address) const { return reinterpret_cast<Header*>(address); }

PoolCore::Header* PoolCore::next_of(Header* h) const
{
    uptr next = reinterpret_cast<uptr>(h) + h->size();
    return next < m_end ? header_at(next) : nullptr;
}

PoolCore::Header* PoolCore::prev_of(Header* h) const
{
    if (!h->prev_size)
        return nullptr;
    return header_at(reinterpret_cast<uptr>(h) - h->prev_size);
}

void PoolCore::mark_free(Header* h, usize size, usize prev_size)
{
    h->size_state = static_cast<u32>(size) | state_free;
    h->prev_size = static_cast<u32>(prev_size);
    h->word2 = h->word3 = 0;
}

void PoolCore::mark_live(Header* h, usize size, usize prev_size)
{
    h->size_state = static_cast<u32>(size) | state_live;
    h->prev_size = static_cast<u32>(prev_size);
    h->word2 = h->tag();
    h->word3 = ~h->tag();
}

void PoolCore::set_prev_size_of_next(Header* h)
{
    if (auto* next = next_of(h))
        next->prev_size = h->size();
}

// The free list is kept in address order: first fit then prefers low
// addresses, which keeps long-lived blocks packed at the bottom of the pool.
void PoolCore::link_free(Header* h)
{
    Header* prev = nullptr;
    Header* cur = m_free_head;
    while (cur && cur < h) {
        prev = cur;
        cur = cur->next_free();
    }
    h->set_prev_free(prev);
    h->set_next_free(cur);
    if (prev)
        prev->set_next_free(h);
    else
        m_free_head = h;
    if (cur)
        cur->set_prev_free(h);
    ++m_free_blocks;
}

void PoolCore::unlink_free(Header* h)
{
    if (h->prev_free())
        h->prev_free()->set_next_free(h->next_free());
    else
        m_free_head = h->next_free();
    if (h->next_free())
        h->next_free()->set_prev_free(h->prev_free());
    --m_free_blocks;
}

// Splits a live block h so it keeps `keep` bytes (header included); the rest
// becomes a free block that is merged with a free upper neighbour.
void PoolCore::split_tail(Header* h, usize keep)
{
    usize size = h->size();
    if (size - keep < granule)
        return;
    mark_live(h, keep, h->prev_size);
    auto* tail = header_at(reinterpret_cast<uptr>(h) + keep);
    mark_free(tail, size - keep, keep);
    set_prev_size_of_next(tail);
    link_free(tail);
    coalesce(tail);
}

// Merges a free block (already on the free list) with free neighbours.
PoolCore::Header* PoolCore::coalesce(Header* h)
{
    if (auto* next = next_of(h); next && next->is_free()) {
        unlink_free(next);
        usize merged = h->size() + next->size();
        if (m_policy.fill_on_free >= 0)
            __builtin_memset(next, m_policy.fill_on_free, header_size);
        h->size_state = static_cast<u32>(merged) | state_free;
        set_prev_size_of_next(h);
    }
    if (auto* prev = prev_of(h); prev && prev->is_free()) {
        unlink_free(h);
        usize merged = prev->size() + h->size();
        if (m_policy.fill_on_free >= 0)
            __builtin_memset(h, m_policy.fill_on_free, header_size);
        prev->size_state = static_cast<u32>(merged) | state_free;
        set_prev_size_of_next(prev);
        h = prev;
    }
    return h;
}

ErrorOr<void*> PoolCore::allocate(usize size, usize align)
{
    if (align == 0)
        align = m_policy.default_align;
    if (!is_power_of_two(align) || align > m_policy.max_align)
        fail("allocation with an unsupported alignment; requested at", reinterpret_cast<void*>(align));
    if (align < granule)
        align = granule;
    if (size > m_end - m_base) {
        ++m_failures;
        return Error::PoolExhausted;
    }
    usize need = header_size + align_up(size ? size : 1, granule);

    for (Header* h = m_free_head; h; h = h->next_free()) {
        uptr start = reinterpret_cast<uptr>(h);
        uptr payload = align_up(start + header_size, align);
        usize lead = payload - header_size - start;
        if (lead + need > h->size())
            continue;

        unlink_free(h);
        usize block_size = h->size();
        usize prev_size = h->prev_size;
        if (lead) {
            // The bytes below the aligned payload stay free, as their own block.
            mark_free(h, lead, prev_size);
            link_free(h);
            prev_size = lead;
        }
        auto* block = header_at(payload - header_size);
        mark_live(block, block_size - lead, prev_size);
        set_prev_size_of_next(block);
        split_tail(block, need);

        m_used += block->size();
        if (m_used > m_peak)
            m_peak = m_used;
        ++m_allocations;
        return static_cast<void*>(block->payload());
    }
    ++m_failures;
    return Error::PoolExhausted;
}

PoolCore::Header* PoolCore::header_of_payload(const void* p) const
{
    auto address = reinterpret_cast<uptr>(p);
    if (address < m_base + header_size || address >= m_end)
        fail("pointer outside the pool:", p);
    if ((address - m_base) % granule)
        fail("pointer not 16-byte aligned, so not a block:", p);
    auto* h = header_at(address - header_size);
    if (h->is_free())
        fail("double free (block already free) at", p);
    if (!h->is_live() || !h->tags_ok())
        fail("not a live block (double free, wild pointer or overwritten header) at", p);
    uptr end = reinterpret_cast<uptr>(h) + h->size();
    if (h->size() < header_size + granule || end > m_end)
        fail("corrupted block size at", p);
    if (auto* next = next_of(h); next && ((!next->is_live() && !next->is_free()) || next->prev_size != h->size()
                                        || (next->is_live() && !next->tags_ok())))
        fail("guard after the block was overwritten (buffer overrun) at", p);
    return h;
}

void PoolCore::free(void* p)
{
    auto* h = header_of_payload(p);
    m_used -= h->size();
    ++m_frees;
    usize size = h->size();
    mark_free(h, size, h->prev_size);
    if (m_policy.fill_on_free >= 0)
        __builtin_memset(h->payload(), m_policy.fill_on_free, size - header_size);
    link_free(h);
    coalesce(h);
}

void PoolCore::shrink(void* p, usize new_size)
{
    auto* h = header_of_payload(p);
    usize keep = header_size + align_up(new_size ? new_size : 1, granule);
    if (keep > h->size())
        fail("shrink beyond the block's size at", p);
    usize old = h->size();
    if (m_policy.fill_on_free >= 0 && old > keep)
        __builtin_memset(reinterpret_cast<u8*>(h) + keep, m_policy.fill_on_free, old - keep);
    split_tail(h, keep);
    m_used -= old - h->size();
}

usize PoolCore::block_size(const void* p) const
{
    return header_of_payload(p)->size() - header_size;
}

bool PoolCore::contains(const void* p) const
{
    auto address = reinterpret_cast<uptr>(p);
    return address >= m_base && address < m_end;
}

bool PoolCore::is_live_block(const void* p) const
{
    auto address = reinterpret_cast<uptr>(p);
    if (address < m_base + header_size || address >= m_end || (address - m_base) % granule)
        return false;
    auto* h = header_at(address - header_size);
    return h->is_live() && h->tags_ok();
}

PoolStats PoolCore::stats() const
{
    PoolStats s;
    s.capacity = m_end - m_base;
    s.used = m_used;
    s.peak = m_peak;
    s.free_blocks = m_free_blocks;
    for (Header* h = m_free_head; h; h = h->next_free()) {
        usize usable = h->size() - header_size;
        if (usable > s.largest_free)
            s.largest_free = usable;
    }
    s.allocations = m_allocations;
    s.frees = m_frees;
    s.failures = m_failures;
    return s;
}

void PoolCore::check_consistency() const
{
    usize live_bytes = 0;
    usize free_count = 0;
    usize prev_size = 0;
    bool prev_free = false;
    for (uptr at = m_base; at < m_end;) {
        auto* h = header_at(at);
        if (!h->is_live() && !h->is_free())
            fail("consistency: block with a bad state word at", h);
        if (h->size() < granule || at + h->size() > m_end || h->size() % granule)
            fail("consistency: block with a bad size at", h);
        if (h->prev_size != prev_size)
            fail("consistency: boundary tag (prev_size) broken at", h);
        if (h->is_live() && !h->tags_ok())
            fail("consistency: guard of a live block overwritten at", h);
        if (h->is_free() && prev_free)
            fail("consistency: two adjacent free blocks not coalesced at", h);
        if (h->is_live())
            live_bytes += h->size();
        else
            ++free_count;
        prev_free = h->is_free();
        prev_size = h->size();
        at += h->size();
    }
    usize listed = 0;
    Header* prev = nullptr;
    for (Header* h = m_free_head; h; h = h->next_free()) {
        if (!h->is_free() || h->prev_free() != prev || (prev && prev >= h))
            fail("consistency: free list broken at", h);
        prev = h;
        if (++listed > free_count)
            fail("consistency: free list longer than the free blocks, at", h);
    }
    if (listed != free_count || listed != m_free_blocks)
        fail("consistency: free list misses blocks; list head", m_free_head);
    if (live_bytes != m_used)
        fail("consistency: used-bytes counter disagrees with the blocks; pool base", reinterpret_cast<void*>(m_base));
}
