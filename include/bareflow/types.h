// Fixed-width integer names used everywhere in BareFlow.
// Only compiler-provided freestanding headers are used, so this builds the
// same in the kernel (-ffreestanding) and on the host.
#pragma once

#include <stddef.h>
#include <stdint.h>

using u8 = uint8_t;
using u16 = uint16_t;
using u32 = uint32_t;
using u64 = uint64_t;
using i8 = int8_t;
using i16 = int16_t;
using i32 = int32_t;
using i64 = int64_t;
using f32 = float;
using usize = size_t;
using uptr = uintptr_t;
