// Labels, jumps, calls and the jump-sizing passes of finish().
//
// Every label jump is emitted in its long form (E9 rel32, 0F 8x rel32) and
// recorded as a Site, together with calls to absolute addresses, label
// address fields and alignment points. finish() then decides jump sizes by
// passes over the sites until a fixed point, as the Linux eBPF JIT
// (arch/x86/net/bpf_jit_comp.c) and sljit do, and shrinks the code to match:
//
//   - The passes start from every jump short and grow a jump to rel32 only
//     when its displacement (target minus the jump's end) does not fit in a
//     rel8. The eBPF JIT starts from long jumps and shrinks them; that also
//     converges, but two jumps that fit only if both are short stay long.
//     Growing from short finds the smallest layout, as nasm and LLVM do, so
//     our bytes match nasm's for every golden jump case.
//   - Each pass walks the sites in code order, keeping the running shift (how
//     far the code before a site has moved from the emitted layout). Forward
//     targets are measured in the previous pass's layout, backward ones in
//     this pass's. Alignment padding is recomputed from each align point's
//     new position.
//   - A jump grows at most once, so the passes terminate; a pass in which no
//     site changed length saw exactly the final layout, so every rel8 in it
//     fits. (With alignment points a grown jump can end up fitting again,
//     when padding shrinks after it; it stays rel32, which is still correct.)
//
// Positions only ever move towards the start (the emitted layout is the
// longest, and rounding up to an alignment is monotonic), so the code is
// compacted in place by one forward walk, with displacements patched on the
// way, and the freed tail is filled with int3.
#include <bareflow/panic.h>
#include <microjit/x86/encoding.h>

namespace x86 {

void write_nops(u8* p, u32 length);

static constexpr u32 unbound = 0xFFFFFFFF;

// Copies count bytes from src to dst < src (overlap allowed). Front to back
// in 4-byte steps, each read before the write that could reach it; the runs
// between jumps are short, so this beats a call to memmove.
static void move_down(u8* dst, const u8* src, u32 count)
{
    u32 i = 0;
    for (; i + 4 <= count; i += 4) {
        u32 word;
        __builtin_memcpy(&word, src + i, 4);
        __builtin_memcpy(dst + i, &word, 4);
    }
    for (; i < count; ++i)
        dst[i] = src[i];
}

Label Assembler::new_label()
{
    if (m_label_count >= max_labels) {
        set_error(Error::EmitTooManyLabels);
        return Label {};
    }
    u16 id = m_label_count++;
    m_label_offset[id] = unbound;
    return Label { id };
}

bool Assembler::check_label(Label label)
{
    if (label.id < m_label_count) [[likely]]
        return true;
    // The invalid label handed out on EmitTooManyLabels: that error is set.
    set_error(label.is_valid() ? Error::EmitInvalidOperand : Error::EmitTooManyLabels);
    return false;
}

void Assembler::bind(Label label)
{
    if (!check_label(label))
        return;
    if (m_label_offset[label.id] != unbound) {
        set_error(Error::EmitLabelRebound);
        return;
    }
    m_label_offset[label.id] = m_size;
    m_label_sites[label.id] = static_cast<u16>(m_site_count);
}

void Assembler::add_site(u8 kind, u32 position, u16 target, u8 length)
{
    if (m_site_count >= max_sites) [[unlikely]] {
        set_error(Error::EmitTooManySites);
        return;
    }
    m_sites[m_site_count++] = Site { position, 0, target, kind, length, length, {} };
}

void Assembler::align(u32 alignment, Fill fill)
{
    if (alignment == 0 || alignment > 64 || (alignment & (alignment - 1)) != 0) {
        set_error(Error::EmitInvalidOperand);
        return;
    }
    u32 padding = (0u - m_size) & (alignment - 1);
    if (m_limit - m_size < padding) {
        set_error(Error::EmitBufferFull);
        m_limit = m_size;
        return;
    }
    add_site(fill == Fill::Nop ? SiteAlignNop : SiteAlignInt3, m_size, static_cast<u16>(alignment),
             static_cast<u8>(padding));
    if (fill == Fill::Nop) {
        write_nops(m_code + m_size, padding);
    } else {
        for (u32 i = 0; i < padding; ++i)
            m_code[m_size + i] = 0xCC; // int3
    }
    m_size += padding;
}

void Assembler::dd(Label label)
{
    if (!check_label(label))
        return;
    Raw e(*this);
    add_site(SiteAbsLabel, m_size, label.id, 4);
    e.done(put32(e.start, 0));
}

void Assembler::mov(Gp32 dst, Label label)
{
    if (!check_label(label))
        return;
    Raw e(*this);
    u8* p = put8(e.start, 0xB8 + dst.id); // mov r32, imm32
    add_site(SiteAbsLabel, e.offset_of(p), label.id, 4);
    e.done(put32(p, 0));
}

void Assembler::jcc(Condition cc, Label target)
{
    if (!check_label(target))
        return;
    Raw e(*this);
    add_site(SiteJcc, m_size, target.id, 6);
    u8* p = put_op(e.start, op2(0x0F, static_cast<u8>(0x80 + static_cast<u8>(cc)))); // jcc rel32
    e.done(put32(p, 0));
}

void Assembler::jmp(Label target)
{
    if (!check_label(target))
        return;
    Raw e(*this);
    add_site(SiteJmp, m_size, target.id, 5);
    e.done(put32(put8(e.start, 0xE9), 0)); // jmp rel32
}

void Assembler::call(Label target)
{
    if (!check_label(target))
        return;
    Raw e(*this);
    add_site(SiteCallLabel, m_size, target.id, 5);
    e.done(put32(put8(e.start, 0xE8), 0)); // call rel32
}

void Assembler::call_abs(u32 target)
{
    Raw e(*this);
    add_site(SiteCallAbs, m_size, 0, 5);
    // The rel32 field holds the absolute target until finish() knows where
    // the call instruction ends up.
    e.done(put32(put8(e.start, 0xE8), target)); // call rel32
}

void Assembler::call(const void* target) { call_abs(static_cast<u32>(reinterpret_cast<uptr>(target))); }

void Assembler::note_absolute()
{
    if (m_error != Error::Ok || m_size < 4)
        return;
    if (m_absolute_count >= max_absolutes) {
        set_error(Error::EmitTooManyAbsolutes);
        return;
    }
    u32 field = m_size - 4;
    // Notes come in code order; a second note of the same field is one field.
    if (m_absolute_count && m_absolutes[m_absolute_count - 1] >= field) {
        if (m_absolutes[m_absolute_count - 1] != field)
            set_error(Error::EmitInvalidOperand);
        return;
    }
    m_absolutes[m_absolute_count++] = field;
}

// After the compaction in finish(): moves the noted fields to their final
// offsets and merges in the label-address fields, so the list names every
// absolute address in the code, ascending.
bool Assembler::finish_absolutes(i32 end_shift)
{
    // A byte between two sites moves by the shift of the site after it (the
    // growth or shrinkage of everything before that site); after the last
    // site, by the end's shift. Notes and sites are both in code order.
    u32 k = 0;
    for (u32 i = 0; i < m_absolute_count; ++i) {
        u32 at = m_absolutes[i];
        while (k < m_site_count && m_sites[k].position <= at)
            ++k;
        m_absolutes[i] = at + static_cast<u32>(k < m_site_count ? m_sites[k].shift : end_shift);
    }
    u32 labels = 0;
    for (u32 i = 0; i < m_site_count; ++i)
        labels += (m_sites[i].kind & SiteKindMask) == SiteAbsLabel ? 1 : 0;
    if (!labels)
        return true;
    if (m_absolute_count + labels > max_absolutes)
        return false;
    // Merge from the back: both lists are ascending, and a field noted by
    // the caller that is also a label field is kept once.
    u32 out = m_absolute_count + labels;
    u32 notes = m_absolute_count;
    for (u32 i = m_site_count; i-- > 0;) {
        const Site& site = m_sites[i];
        if ((site.kind & SiteKindMask) != SiteAbsLabel)
            continue;
        u32 field = site.position + static_cast<u32>(site.shift);
        while (notes && m_absolutes[notes - 1] > field)
            m_absolutes[--out] = m_absolutes[--notes];
        if (notes && m_absolutes[notes - 1] == field)
            --notes;
        m_absolutes[--out] = field;
    }
    while (notes)
        m_absolutes[--out] = m_absolutes[--notes];
    // Duplicates leave a gap at the front: close it.
    u32 total = m_absolute_count + labels - out;
    for (u32 i = 0; i < total; ++i)
        m_absolutes[i] = m_absolutes[out + i];
    m_absolute_count = total;
    return true;
}

u32 Assembler::label_offset(Label label) const
{
    if (label.id >= m_label_count)
        return unbound;
    return m_label_offset[label.id];
}

ErrorOr<usize> Assembler::finish()
{
    if (m_finished)
        return Error::InvalidArgument;
    m_finished = true;
    if (m_error != Error::Ok)
        return m_error;

    Site* sites = m_sites;
    u32 count = m_site_count;

    // The new position of label L: its old offset plus the shift of the
    // first site recorded after it (or of the end of the code).
    i32 end_shift = 0;
    auto label_position = [&](u16 id) -> i32 {
        u32 k = m_label_sites[id];
        i32 shift = k < count ? sites[k].shift : end_shift;
        return static_cast<i32>(m_label_offset[id]) + shift;
    };

    // One pass over the sites in code order: a rel8 jump that does not fit
    // grows to rel32 (for good: that keeps the passes finite), alignment
    // padding follows. Returns whether any site changed length.
    auto pass = [&]() {
        bool changed = false;
        i32 shift = 0;
        for (u32 i = 0; i < count; ++i) {
            Site& site = sites[i];
            i32 previous_shift = site.shift;
            site.shift = shift;
            u8 kind = site.kind & SiteKindMask;
            u32 length = site.length;
            if (kind <= SiteJcc && length == 2) {
                // rel8 counts from the jump's end, so the jump's own size is
                // not part of the distance. Both ends are measured in one
                // layout: the previous pass's for a forward target (the code
                // up to it is not laid out yet in this pass), this pass's
                // for a backward one.
                i32 displacement;
                if (m_label_sites[site.target] > i)
                    displacement = label_position(site.target) - (static_cast<i32>(site.position) + previous_shift + 2);
                else
                    displacement = label_position(site.target) - (static_cast<i32>(site.position) + shift + 2);
                if (!fits_i8(displacement))
                    length = kind == SiteJmp ? 5 : 6;
            } else if (kind >= SiteAlignNop) {
                u32 here = site.position + static_cast<u32>(shift);
                length = (0u - here) & (site.target - 1u);
            }
            if (length != site.length) {
                changed = true;
                site.length = static_cast<u8>(length);
            }
            shift += static_cast<i32>(length) - static_cast<i32>(site.emitted_length);
        }
        end_shift = shift;
        return changed;
    };

    // Start from every jump short and lay that out (checking on the way that
    // every label used is bound), then grow what does not fit until nothing
    // changes. Each jump grows at most once.
    i32 shift = 0;
    for (u32 i = 0; i < count; ++i) {
        Site& site = sites[i];
        site.shift = shift;
        u8 kind = site.kind;
        if (kind <= SiteCallLabel || kind == SiteAbsLabel) {
            if (m_label_offset[site.target] == unbound)
                return m_error = Error::EmitUnboundLabel;
        }
        if (kind <= SiteJcc)
            site.length = 2;
        else if (kind >= SiteAlignNop)
            site.length = static_cast<u8>((0u - (site.position + static_cast<u32>(shift))) & (site.target - 1u));
        shift += static_cast<i32>(site.length) - static_cast<i32>(site.emitted_length);
    }
    end_shift = shift;
    for (u32 round = 0; pass(); ++round) {
        if (round > count) // each jump grows at most once, so this is a bug
            panic("x86 assembler: jump sizing did not converge");
    }

    // Compact in place, front to back; every byte moves towards the start.
    u8* code = m_code;
    u32 from = 0; // old offset of the next byte to move
    for (u32 i = 0; i < count; ++i) {
        Site& site = sites[i];
        u32 old_position = site.position;
        u32 new_position = old_position + static_cast<u32>(site.shift);
        if (site.shift != 0)
            move_down(code + from + site.shift, code + from, old_position - from);
        u8 kind = site.kind & SiteKindMask;
        u8* p = code + new_position;
        switch (kind) {
        case SiteJmp:
        case SiteJcc: {
            // Read the condition before the move can overwrite it.
            u8 cc = kind == SiteJcc ? (code[old_position + 1] & 0x0F) : 0;
            i32 target = label_position(site.target);
            i32 end = static_cast<i32>(new_position + site.length);
            if (site.length == 2) {
                p[0] = kind == SiteJmp ? 0xEB : static_cast<u8>(0x70 + cc); // jmp/jcc rel8
                p[1] = static_cast<u8>(target - end);
            } else if (kind == SiteJmp) {
                put32(put8(p, 0xE9), static_cast<u32>(target - end)); // jmp rel32
            } else {
                put32(put_op(p, op2(0x0F, static_cast<u8>(0x80 + cc))), static_cast<u32>(target - end)); // jcc rel32
            }
            break;
        }
        case SiteCallLabel: {
            i32 target = label_position(site.target);
            put32(put8(p, 0xE8), static_cast<u32>(target - static_cast<i32>(new_position + 5)));
            break;
        }
        case SiteCallAbs: {
            u32 absolute = get32(code + old_position + 1);
            put32(put8(p, 0xE8), absolute - (m_base_address + new_position + 5));
            break;
        }
        case SiteAbsLabel: {
            u32 addend = get32(code + old_position);
            put32(p, m_base_address + static_cast<u32>(label_position(site.target)) + addend);
            break;
        }
        case SiteAlignNop: write_nops(p, site.length); break;
        default:
            for (u32 j = 0; j < site.length; ++j)
                p[j] = 0xCC; // int3
            break;
        }
        from = old_position + site.emitted_length;
    }
    if (end_shift != 0)
        move_down(code + from + end_shift, code + from, m_size - from);
    u32 final_size = m_size + static_cast<u32>(end_shift);
    for (u32 j = final_size; j < m_size; ++j)
        code[j] = 0xCC; // int3 in the space the shrinking freed

    for (u16 id = 0; id < m_label_count; ++id) {
        if (m_label_offset[id] != unbound)
            m_label_offset[id] = static_cast<u32>(label_position(id));
    }
    m_size = final_size;
    if (!finish_absolutes(end_shift))
        return m_error = Error::EmitTooManyAbsolutes;
    return static_cast<usize>(final_size);
}

} // namespace x86
