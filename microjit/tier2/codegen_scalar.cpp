// Code generators for the integer recurrence patterns: the iterative
// fibonacci loop (any small linear recurrence) kept in registers, and the
// doubly recursive fibonacci compiled to that loop.
#include <microjit/tier2/codegen.h>
#include <microjit/tier2/codegen_frame.h>

namespace Tier2 {

using namespace x86;

namespace {

// The call depth the interpreter would reach: f(n) at depth d recurses
// straight down to f(1) at depth d + n - 1 first. Interpreting it traps
// TrapCallDepth exactly when n >= 2 and d + n - 1 > max depth (512).
constexpr i32 max_call_depth = 512;

}

ErrorOr<void> compile_fibonacci(const FunctionFibonacci&, Assembler& a)
{
    NativeFrame frame(a);
    frame.prologue();
    Label base = a.new_label(), loop = a.new_label(), done = a.new_label();
    frame.load_args(esi);
    a.mov(ecx, dword_ptr(esi)); // n
    a.cmp(ecx, 1);
    a.jle(base); // n <= 1: f(n) = n, no call made
    // depth + n - 1 > 512 in unsigned arithmetic: n - 1 < 2^31 and depth is
    // small, so the sum cannot wrap.
    frame.load_depth(eax);
    a.lea(eax, ptr(eax, ecx, 1, -1));
    a.cmp(eax, max_call_depth);
    a.ja(frame.trap_depth());
    // (a, b) = (0, 1), then n - 1 steps of (a, b) = (b, a + b): b = fib(n)
    // modulo 2^32, which is what the wrapping i32 additions of the recursion
    // add up to.
    a.xor_(eax, eax);
    a.mov(edx, 1);
    a.dec(ecx);
    a.align(16);
    a.bind(loop);
    a.add(eax, edx); // a + b
    a.xchg(eax, edx); // (b, a + b)
    a.dec(ecx);
    a.jnz(loop);
    a.mov(eax, edx);
    a.jmp(done);
    a.bind(base);
    a.mov(eax, ecx);
    a.bind(done);
    frame.return_eax();
    frame.finish();
    return {};
}

ErrorOr<void> compile_recurrence(const FunctionRecurrence& r, Assembler& a)
{
    const RecurrencePattern& rec = r.loop;
    u32 k = rec.state_count;
    if (k > 3)
        return Error::JitUnsupported;
    // States and their next values in registers; ECX counts trips; ESI
    // holds args during setup and is a scratch register in the loop.
    const Gp32 state_regs[3] = { eax, ebx, edi };
    const Gp32 next_regs[3] = { edx, ebp, esi };
    NativeFrame frame(a);
    frame.prologue();
    Label loop = a.new_label(), done = a.new_label();
    frame.load_args(esi);
    frame.load_operand(r.start, edx, esi);
    frame.load_operand(r.end, ecx, esi);
    for (u32 s = 0; s < k; ++s)
        frame.load_operand(r.inits[s], state_regs[s], esi);
    // Trips: end - start when start < end (signed), else none.
    a.cmp(edx, ecx);
    a.jge(done);
    a.sub(ecx, edx);
    a.align(16);
    a.bind(loop);
    for (u32 j = 0; j < k; ++j) {
        Gp32 t = next_regs[j];
        bool started = false;
        for (u32 m = 0; m < k; ++m) {
            i32 c = rec.coeff[j][m];
            if (c == 0)
                continue;
            if (!started) {
                if (c == 1)
                    a.mov(t, state_regs[m]);
                else
                    a.imul(t, state_regs[m], c);
                started = true;
            } else if (c == 1) {
                a.add(t, state_regs[m]);
            } else if (c == -1) {
                a.sub(t, state_regs[m]);
            } else {
                // No register is free for the product: add it c times is
                // not an option; keep it honest and refuse.
                return Error::JitUnsupported;
            }
        }
        if (!started)
            a.mov(t, rec.constant[j]);
        else if (rec.constant[j] != 0)
            a.add(t, rec.constant[j]);
    }
    for (u32 j = 0; j < k; ++j)
        a.mov(state_regs[j], next_regs[j]);
    a.dec(ecx);
    a.jnz(loop);
    a.bind(done);
    if (state_regs[r.result] != eax)
        a.mov(eax, state_regs[r.result]);
    frame.return_eax();
    frame.finish();
    return {};
}

const char* compiled_pattern_name(CompiledPattern p)
{
    switch (p) {
    case CompiledPattern::None: return "none";
    case CompiledPattern::Fibonacci: return "fibonacci";
    case CompiledPattern::Recurrence: return "recurrence";
    case CompiledPattern::Reduction: return "reduction";
    case CompiledPattern::Map: return "map";
    }
    return "?";
}

ErrorOr<PatternCode> compile_pattern(const Function& fn, Assembler& a, const CodegenOptions& options)
{
    PatternCode code {};
    FunctionFibonacci fib;
    FunctionRecurrence rec;
    FunctionReduction red;
    FunctionMap map;
    if (match_fibonacci(fn, fib)) {
        TRY(compile_fibonacci(fib, a));
        code.pattern = CompiledPattern::Fibonacci;
    } else if (match_function_recurrence(fn, rec)) {
        TRY(compile_recurrence(rec, a));
        code.pattern = CompiledPattern::Recurrence;
    } else if (match_function_reduction(fn, red)) {
        TRY(compile_reduction(red, a, options));
        code.pattern = CompiledPattern::Reduction;
    } else if (match_function_map(fn, map)) {
        TRY(compile_map(map, a, options, &code.data));
        code.pattern = CompiledPattern::Map;
    } else {
        return Error::JitUnsupported;
    }
    if (a.has_error())
        return a.error();
    return code;
}

}
