// FNV-1a, 64-bit: the .bfm content hash over everything after the header.
// Offset basis 0xcbf29ce484222325, prime 0x100000001b3 (docs/module-format.md).
// It identifies a module's content (snapshots and JIT caches key on it); the
// CRC-32 guards the bytes on disk.
#pragma once

#include <bareflow/types.h>

inline constexpr u64 fnv1a64_offset_basis = 0xcbf29ce484222325ull;
inline constexpr u64 fnv1a64_prime = 0x100000001b3ull;

u64 fnv1a64_update(u64 hash, const u8* data, usize size);

inline u64 fnv1a64(const u8* data, usize size) { return fnv1a64_update(fnv1a64_offset_basis, data, size); }
