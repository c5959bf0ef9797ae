// The tier-0 interpreter: runs verified bytecode, with every trap of
// docs/module-format.md checked. See docs/runtime.md for how it cooperates
// with the JIT tiers through the ModuleInstance (instance.h).
#pragma once

#include <bareflow/error_or.h>
#include <microjit/module/instance.h>
#include <microjit/spec.h> // max_call_depth: frames allowed at once, across all tiers

// The entry for hosts (flowrun, the kernel shell, tests): checks that
// `function` exists and `arg_count` matches its param_count, then runs it
// through its dispatch entry (native code when installed, else the
// interpreter). Views in `args` must describe memory the caller owns.
// On a trap returns the error, with instance.trap saying where.
ErrorOr<Value> call_function(ModuleInstance& instance, u32 function, const Value* args, u32 arg_count);

// The entry for native code and hooks: interprets `function` whatever its
// dispatch entry says (calls it makes still go through dispatch). `args`
// holds param_count values; *result receives the return value (untouched for
// a void function). Counts the frame in call_depth and the call in
// profiles[function].calls. Returns Error::Ok or a trap (instance->trap set).
// A plain function with pointer arguments so that JIT code can call it with
// the i386 cdecl convention.
Error interpret_call(ModuleInstance* instance, u32 function, const Value* args, Value* result);
