// Walking a blob of native code with the length decoder and finding its
// relative branches: what snapshot saving needs (which branches leave the
// blob and must be relocated) and what snapshot loading checks (every
// instruction decodes, every branch lands on an instruction start inside
// the blob or is a relocated rel32 to an allowed target).
#pragma once

#include <bareflow/error_or.h>
#include <bareflow/types.h>

struct BranchSite {
    u32 field_offset; // the rel8/rel32 field, from the blob's start
    u8 field_size;    // 1 or 4
    i64 target;       // branch target as an offset from the blob's start
};

struct CodeWalk {
    u8* starts;          // bitmap of instruction starts (size / 8 + 1 bytes)
    BranchSite* branches;
    u32 branch_count;
    u32 bad_offset;      // where the walk failed
};

// Walks code[0, size). Memory for the bitmap and the sites comes from the
// kernel heap; release it with free_code_walk(). Fails with the decoder's
// error (bad_offset says where), or with SnapshotBadCode for a branch form
// the emitter never produces (an operand-size prefix on a branch).
ErrorOr<void> walk_code(const u8* code, u32 size, CodeWalk& out);
void free_code_walk(CodeWalk& walk);

inline bool is_instruction_start(const CodeWalk& walk, u32 offset)
{
    return walk.starts[offset / 8] & (1u << (offset % 8));
}
