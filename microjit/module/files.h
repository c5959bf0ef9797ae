// The file and print builtins of docs/flow-language.md, as every tier runs
// them (the interpreter directly, JIT code through jit_io in native_abi.h),
// and what a host changes between calls: a file item's path and a buffer's
// size.
//
// Order of checks in read_file / write_file: the element range first (a
// trap, as for an index), then the host (-3 without one), the binding (-2),
// then the file itself.
#pragma once

#include <bareflow/error_or.h>
#include <microjit/module/host.h>
#include <microjit/module/instance.h>

// --- the builtins ---------------------------------------------------------------
i32 flow_file_size(ModuleInstance& instance, u32 file);
// Error::TrapOutOfBounds when at < 0, count < 0 or at + count > v.length;
// else Ok with *result the bytes read / written or a negative FileResult.
Error flow_read_file(ModuleInstance& instance, u32 file, View v, i32 at, i32 offset, i32 count, i32* result);
Error flow_write_file(ModuleInstance& instance, u32 file, View v, i32 at, i32 count, i32* result);
void flow_print_char(ModuleInstance& instance, i32 c);
void flow_print_i32(ModuleInstance& instance, i32 value);
void flow_print_f32(ModuleInstance& instance, f32 value);

// --- the host's side -------------------------------------------------------------
// The path file item `file` points to now ("" when unbound).
const char* file_path(const ModuleInstance& instance, u32 file);
// Points file item `file` at `path` (absolute: it starts with '/'; printable
// ASCII; at most bfm::max_file_path characters), or unbinds it for an empty
// path. InvalidArgument for a bad path, NoSuchFileItem for a bad index.
ErrorOr<void> bind_file(ModuleInstance& instance, u32 file, const char* path);
ErrorOr<void> bind_file(ModuleInstance& instance, const char* name, const char* path);

// Gives buffer `buffer` `count` elements (1 .. bfm::max_buffer_elements):
// the first min(old, new) elements keep their values and the rest are zero.
// The old memory is freed, so any native code that embedded its address or
// length must go first: JitInstance::resize_buffer does that. Only between
// calls. OutOfMemory leaves the buffer as it was.
ErrorOr<void> resize_buffer(ModuleInstance& instance, u32 buffer, u32 count);
