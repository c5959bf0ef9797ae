// Code walking for snapshots (see code_walk.h). Branch forms follow the
// SDM Vol. 2A opcode map: Jcc rel8 70-7F, LOOP/JECXZ rel8 E0-E3, JMP rel8
// EB, CALL rel32 E8, JMP rel32 E9, Jcc rel32 0F 80-8F; the rel field is the
// instruction's last bytes and counts from the instruction's end.
#include <kernel/snapshot/code_walk.h>
#include <kernel/lib/string.h>
#include <kernel/mm/heap.h>
#include <microjit/x86/length_decoder.h>

void free_code_walk(CodeWalk& walk)
{
    kfree(walk.starts);
    kfree(walk.branches);
    walk.starts = nullptr;
    walk.branches = nullptr;
    walk.branch_count = 0;
}

ErrorOr<void> walk_code(const u8* code, u32 size, CodeWalk& out)
{
    out = CodeWalk {};
    out.starts = static_cast<u8*>(kzalloc(size / 8 + 1));
    out.branches = static_cast<BranchSite*>(kmalloc(sizeof(BranchSite) * (size / 2 + 1)));
    if (!out.starts || !out.branches) {
        free_code_walk(out);
        return Error::OutOfMemory;
    }
    u32 offset = 0;
    while (offset < size) {
        auto length_or = x86::instruction_length(code + offset, size - offset);
        if (length_or.is_error()) {
            out.bad_offset = offset;
            return length_or.error();
        }
        u32 length = length_or.value();
        out.starts[offset / 8] |= static_cast<u8>(1u << (offset % 8));
        u32 p = offset;
        bool operand_size = false;
        while (p < offset + length && (code[p] == 0x66 || code[p] == 0xF2 || code[p] == 0xF3)) {
            operand_size |= code[p] == 0x66;
            ++p;
        }
        u8 op = code[p];
        u8 field = 0;
        if (op == 0xEB || (op >= 0x70 && op <= 0x7F) || (op >= 0xE0 && op <= 0xE3))
            field = 1;
        else if (op == 0xE8 || op == 0xE9 || (op == 0x0F && p + 1 < offset + length && code[p + 1] >= 0x80 && code[p + 1] <= 0x8F))
            field = 4;
        if (field) {
            if (operand_size || length < field + 1u) {
                out.bad_offset = offset;
                return Error::SnapshotBadCode;
            }
            u32 at = offset + length - field;
            i64 rel;
            if (field == 1) {
                rel = static_cast<i8>(code[at]);
            } else {
                i32 value;
                memcpy(&value, code + at, 4);
                rel = value;
            }
            out.branches[out.branch_count++] = BranchSite { at, field, static_cast<i64>(offset + length) + rel };
        }
        offset += length;
    }
    return {};
}
