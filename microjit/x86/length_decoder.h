// A length decoder for the x86 code the emitter produces.
//
// Code loaded from disk (JIT snapshots) must be checked before it runs: every
// byte must belong to an instruction the emitter can produce, and the last
// instruction must end exactly at the end of the blob. This decoder knows
// that instruction set (prefixes 66/F2/F3, the one-byte map, 0F, 0F 38, 0F 3A
// and two- and three-byte VEX) and nothing more; anything else is
// DecodeUnknownInstruction, a cut-off instruction DecodeTruncated.
// Intel SDM Vol. 2A, chapter 2 (instruction format) and Appendix A (opcode maps).
#pragma once

#include <bareflow/error_or.h>
#include <bareflow/types.h>

namespace x86 {

// The length of the instruction at code[0], reading at most `available` bytes.
ErrorOr<u32> instruction_length(const u8* code, usize available);

// Walks code[0..size) instruction by instruction; fails on the first unknown
// or truncated instruction. `bad_offset` (optional) receives its offset.
ErrorOr<void> validate_code(const u8* code, usize size, usize* bad_offset = nullptr);

} // namespace x86
