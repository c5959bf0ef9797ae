// The traps native code checks for itself, as an index for per-kind exit
// labels, and the Error each one reports (docs/module-format.md lists the
// traps; every tier raises the same ones). TrapCallDepth is checked in
// prologues; the others at the instruction that traps.
#pragma once

#include <bareflow/error.h>

enum class TrapKind : u8 {
    DivideByZero,
    Overflow,
    OutOfBounds,
    CallDepth,
    BadConversion,
    Count,
};

constexpr Error trap_error(TrapKind kind)
{
    constexpr Error errors[] = {
        Error::TrapDivideByZero, Error::TrapOverflow, Error::TrapOutOfBounds, Error::TrapCallDepth, Error::TrapBadConversion,
    };
    static_assert(sizeof(errors) / sizeof(errors[0]) == static_cast<u32>(TrapKind::Count));
    return errors[static_cast<u32>(kind)];
}
