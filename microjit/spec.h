// The Flow specification's numbers in C++: the value type codes, the
// runtime's constants and the .bfm format's sizes and limits (namespace bfm), generated from microjit/spec.def, which
// tools/flow/spec.py reads too. Everything that needs one of them includes
// this header rather than writing the number again.
#pragma once

#include <bareflow/types.h>

// Type codes of docs/module-format.md, "Type codes": the loader's, the
// verifier's, the interpreter's and tier 2's (Tier2::Type is this enum).
enum class ValueType : u8 {
#define VALUE_TYPE(name, code, text) name = code,
#include <microjit/spec.def>
};

// "i32", "[f32]", ...; "?" for a code outside the list.
constexpr const char* value_type_text(ValueType type)
{
    switch (type) {
#define VALUE_TYPE(name, code, text) \
    case ValueType::name:            \
        return text;
#include <microjit/spec.def>
    }
    return "?";
}

#define CONSTANT(name, value) inline constexpr u32 name = value;
#include <microjit/spec.def>

namespace bfm {
#define BFM(name, value) inline constexpr u32 name = value;
#include <microjit/spec.def>
}
