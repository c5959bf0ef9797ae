// Shell arguments and results for Flow functions (see arguments.h).
#include <kernel/jit/arguments.h>
#include <kernel/jit/jit_system.h>
#include <kernel/lib/format.h>
#include <kernel/lib/kprintf.h>
#include <kernel/lib/string.h>

bool parse_count(const char* text, u32& out)
{
    i32 value;
    if (!parse_i32_literal(text, value) || value < 1)
        return false;
    out = static_cast<u32>(value);
    return true;
}

ErrorOr<void> parse_function_arguments(LoadedModule& own, const FunctionInfo& f, char** words, int count, Value* out)
{
    if (count != f.param_count) {
        kprintf("%s takes %u argument%s, %d given\n", f.name, f.param_count, f.param_count == 1 ? "" : "s", count);
        return Error::BadArguments;
    }
    for (u32 k = 0; k < f.param_count; ++k) {
        ValueType type = f.register_types[k];
        out[k].raw = 0;
        if (type == ValueType::I32) {
            if (!parse_i32_literal(words[k], out[k].i)) {
                kprintf("argument %u of %s: '%s' is not an i32 literal\n", k + 1, f.name, words[k]);
                return Error::BadArguments;
            }
        } else if (type == ValueType::F32) {
            if (!parse_f32_literal(words[k], out[k].f)) {
                kprintf("argument %u of %s: '%s' is not an f32 literal\n", k + 1, f.name, words[k]);
                return Error::BadArguments;
            }
        } else {
            auto found = resolve_buffer(words[k], &own);
            if (found.is_error()) {
                kprintf("argument %u of %s is a view (%s): '%s' names no buffer (BUF of %s, or MOD.BUF; `mods` lists them)\n",
                        k + 1, f.name, value_type_name(type), words[k], own.module->name);
                return Error::BadArguments;
            }
            BufferRef buffer = found.value();
            if (buffer.info().type != type) {
                kprintf("argument %u of %s is a view (%s): buffer %s.%s holds %s\n", k + 1, f.name, value_type_name(type),
                        buffer.slot->module->name, buffer.info().name, value_type_name(buffer.info().type));
                return Error::BadArguments;
            }
            View view = buffer.view();
            out[k] = Value::from_view(view.base, view.length);
        }
    }
    return {};
}

void print_result(const FunctionInfo& f, Value result)
{
    if (f.return_type == ValueType::I32)
        kprintf("%d\n", result.i);
    else if (f.return_type == ValueType::F32)
        kprintf("%.9g\n", static_cast<double>(result.f));
}

void format_signature(const FunctionInfo& f, char* buffer, usize size)
{
    usize n = format_to(buffer, size, "%s(", f.name);
    for (u32 k = 0; k < f.param_count && n < size; ++k)
        n += format_to(buffer + n, size - n, "%s%s", k ? ", " : "", value_type_name(f.register_types[k]));
    if (n < size)
        n += format_to(buffer + n, size - n, ")");
    if (f.return_type != ValueType::Void && n < size)
        format_to(buffer + n, size - n, " -> %s", value_type_name(f.return_type));
}

void print_trap(const ModuleInstance& instance)
{
    const TrapInfo& t = instance.trap;
    const Module& m = *instance.module;
    const char* where = t.function < m.function_count ? m.functions[t.function].name : "?";
    if (t.offset != TrapInfo::unknown_offset)
        kprintf("trap %s in function '%s' at +0x%x: %s\n", error_name(t.error), where, t.offset, error_message(t.error));
    else
        kprintf("trap %s in function '%s': %s\n", error_name(t.error), where, error_message(t.error));
}
