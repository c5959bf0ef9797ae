// Code generators for the integer recurrence patterns: the iterative
// fibonacci loop (any small linear recurrence) kept in registers, and the
// doubly recursive fibonacci compiled to that loop.
#include <microjit/module/interpreter.h> // max_call_depth
#include <microjit/tier2/codegen.h>
#include <microjit/tier2/codegen_frame.h>
#include <microjit/tier2/codegen_unrolled.h>

namespace Tier2 {

using namespace x86;

namespace {

// The call depth the interpreter would reach: f(n) at depth d recurses
// straight down to f(1) at depth d + n - 1 first. Interpreting it traps
// TrapCallDepth exactly when n >= 2 and d + n - 1 > max depth (512).

}

namespace {

// fib's recurrence (a, b) -> (b, a + b), the shape compile_fibonacci runs.
RecurrencePattern fibonacci_steps()
{
    RecurrencePattern rec {};
    rec.state_count = 2;
    rec.coeff[0][1] = 1;
    rec.coeff[1][0] = 1;
    rec.coeff[1][1] = 1;
    return rec;
}

// Specialised on n: no test of n, and for n - 1 <= max_unrolled_trips no
// loop either. Returns false if the unrolled steps did not fit (the caller
// then emits the generic body; the frame is already set up either way).
ErrorOr<bool> emit_fibonacci_of_constant(Assembler& a, NativeFrame& frame, i32 n)
{
    if (n <= 1) {
        a.mov(eax, n);
        return true;
    }
    if (static_cast<u32>(n - 1) > max_unrolled_trips)
        return false;
    frame.load_depth(eax);
    a.add(eax, n - 1);
    a.cmp(eax, static_cast<i32>(max_call_depth));
    a.ja(frame.trap_depth());
    a.xor_(eax, eax);
    a.mov(edx, 1);
    const Gp32 initial[2] = { eax, edx };
    Gp32 b = TRY(emit_unrolled_recurrence(a, fibonacci_steps(), 0, static_cast<u32>(n - 1), initial, 1));
    if (b.id != eax.id)
        a.mov(eax, b);
    return true;
}

}

ErrorOr<void> compile_fibonacci(const FunctionFibonacci&, Assembler& a, const CodegenOptions& options)
{
    NativeFrame frame(a, options);
    frame.prologue();
    if (options.spec && options.spec->has(0) && TRY(emit_fibonacci_of_constant(a, frame, options.spec->values[0]))) {
        frame.return_eax();
        frame.finish();
        return {};
    }
    Label base = a.new_label(), loop = a.new_label(), done = a.new_label();
    frame.load_args(esi);
    a.mov(ecx, dword_ptr(esi)); // n
    a.cmp(ecx, 1);
    a.jle(base); // n <= 1: f(n) = n, no call made
    // depth + n - 1 > 512 in unsigned arithmetic: n - 1 < 2^31 and depth is
    // small, so the sum cannot wrap.
    frame.load_depth(eax);
    a.lea(eax, ptr(eax, ecx, 1, -1));
    a.cmp(eax, static_cast<i32>(max_call_depth));
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

ErrorOr<void> compile_recurrence(const FunctionRecurrence& r, Assembler& a, const CodegenOptions& options)
{
    const RecurrencePattern& rec = r.loop;
    u32 k = rec.state_count;
    bool counter = rec.uses_counter();
    // States and their next values in registers. Without the counter in the
    // formulas, ECX counts trips down; with it, ECX is the counter itself,
    // running from start to end (EDX), and only two states fit.
    if (k > (counter ? 2u : 3u))
        return Error::JitUnsupported;
    const Gp32 state_regs[3] = { eax, ebx, edi };
    const Gp32 next_regs[3] = { ebp, esi, edx };
    NativeFrame frame(a, options);
    frame.prologue();
    Label loop = a.new_label(), done = a.new_label();
    frame.load_args(esi);
    frame.load_operand(r.start, ecx, esi);
    frame.load_operand(r.end, edx, esi);
    for (u32 s = 0; s < k; ++s)
        frame.load_operand(r.inits[s], state_regs[s], esi);
    // Constant bounds (specialised code): a known number of trips, short
    // enough to unroll completely.
    if (r.start.kind == Operand::Kind::Constant && r.end.kind == Operand::Kind::Constant) {
        i64 trips = static_cast<i64>(static_cast<i32>(r.end.bits)) - static_cast<i32>(r.start.bits);
        if (trips <= 0) {
            if (state_regs[r.result].id != eax.id)
                a.mov(eax, state_regs[r.result]);
            frame.return_eax();
            frame.finish();
            return {};
        }
        if (trips <= static_cast<i64>(max_unrolled_trips)) {
            usize mark = a.size();
            auto last = emit_unrolled_recurrence(a, rec, static_cast<i32>(r.start.bits), static_cast<u32>(trips), state_regs, r.result);
            if (!last.is_error()) {
                if (last.value().id != eax.id)
                    a.mov(eax, last.value());
                frame.return_eax();
                frame.finish();
                return {};
            }
            if (a.size() != mark)
                return Error::JitUnsupported; // half a body: let the caller keep the generic code
        }
    }
    a.cmp(ecx, edx);
    a.jge(done);
    if (k == 1 && rec.coeff[0][0] == 1) {
        // s' = s + c * iv + d has a closed form, as a scalar-evolution pass
        // would find: s + c * S + d * T with T = end - start trips and
        // S = start + ... + (end - 1), all modulo 2^32. S = T * (2 start +
        // T - 1) / 2, computed without a lossy halving: for even T as
        // (T / 2) * (2 start + T - 1), for odd T as T * (start + (T - 1) / 2).
        Label odd = a.new_label(), have_sum = a.new_label();
        i32 c = rec.coeff[0][RecurrencePattern::counter_slot];
        i32 d = rec.constant[0];
        a.mov(esi, edx);
        a.sub(esi, ecx); // T (as u32: end - start may exceed INT32_MAX)
        a.test(esi, 1);
        a.jnz(odd);
        a.mov(ebx, esi);
        a.shr(ebx, 1);
        a.lea(edi, ptr(ecx, ecx, 1, -1));
        a.add(edi, esi); // 2 start + T - 1
        a.imul(ebx, edi);
        a.jmp(have_sum);
        a.bind(odd);
        a.lea(ebx, ptr(esi, -1));
        a.shr(ebx, 1);
        a.add(ebx, ecx); // start + (T - 1) / 2
        a.imul(ebx, esi);
        a.bind(have_sum);
        if (c != 1)
            a.imul(ebx, ebx, c);
        if (c != 0)
            a.add(eax, ebx);
        if (d != 0) {
            a.imul(esi, esi, d);
            a.add(eax, esi);
        }
        a.jmp(done);
    }
    if (!counter) {
        a.sub(edx, ecx); // trips; EDX is free from here on
        a.mov(ecx, edx);
    }
    auto term = [&](Gp32 t, bool& started, Gp32 source, i32 c) -> bool {
        if (c == 0)
            return true;
        if (!started) {
            c == 1 ? a.mov(t, source) : a.imul(t, source, c);
            started = true;
        } else if (c == 1) {
            a.add(t, source);
        } else if (c == -1) {
            a.sub(t, source);
        } else {
            return false; // no free register for the product
        }
        return true;
    };
    a.align(16);
    a.bind(loop);
    for (u32 j = 0; j < k; ++j) {
        Gp32 t = next_regs[j];
        // The terms of s'[j]; at most one coefficient other than +-1, and
        // that one goes first (IMUL's three-operand form writes t).
        Gp32 sources[RecurrencePattern::max_states + 1];
        i32 coeffs[RecurrencePattern::max_states + 1];
        u32 count = 0;
        for (u32 m = 0; m < k; ++m) {
            sources[count] = state_regs[m];
            coeffs[count++] = rec.coeff[j][m];
        }
        sources[count] = ecx;
        coeffs[count++] = rec.coeff[j][RecurrencePattern::counter_slot];
        for (u32 q = 0; q < count; ++q) {
            if (coeffs[q] != 0 && coeffs[q] != 1 && coeffs[q] != -1) {
                Gp32 ts = sources[q];
                i32 tc = coeffs[q];
                sources[q] = sources[0];
                coeffs[q] = coeffs[0];
                sources[0] = ts;
                coeffs[0] = tc;
                break;
            }
        }
        bool started = false;
        for (u32 q = 0; q < count; ++q)
            if (!term(t, started, sources[q], coeffs[q]))
                return Error::JitUnsupported;
        if (!started)
            a.mov(t, rec.constant[j]);
        else if (rec.constant[j] != 0)
            a.add(t, rec.constant[j]);
    }
    for (u32 j = 0; j < k; ++j)
        a.mov(state_regs[j], next_regs[j]);
    if (counter) {
        a.inc(ecx);
        a.cmp(ecx, edx);
        a.jl(loop);
    } else {
        a.dec(ecx);
        a.jnz(loop);
    }
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
    case CompiledPattern::Matmul: return "matmul";
    }
    return "?";
}

Operand specialise_operand(const Operand& op, const CodegenOptions& options)
{
    if (op.kind != Operand::Kind::Param || !options.spec || !options.spec->has(op.index))
        return op;
    Operand folded = op;
    folded.kind = Operand::Kind::Constant;
    folded.bits = static_cast<u32>(options.spec->values[op.index]);
    return folded;
}

ErrorOr<PatternCode> compile_pattern(const Function& fn, Assembler& a, const CodegenOptions& options)
{
    PatternCode code {};
    FunctionFibonacci fib;
    FunctionRecurrence rec;
    FunctionReduction red;
    FunctionMap map;
    FunctionMatmul matmul;
    // Operands of folded parameters become constants; only i32 parameters
    // are ever folded, so views, lengths and f32 scalars stay as they are.
    auto fold = [&](Operand& op) { op = specialise_operand(op, options); };
    if (match_fibonacci(fn, fib)) {
        TRY(compile_fibonacci(fib, a, options));
        code.pattern = CompiledPattern::Fibonacci;
    } else if (match_function_recurrence(fn, rec)) {
        fold(rec.start);
        fold(rec.end);
        for (u32 s = 0; s < rec.loop.state_count; ++s)
            fold(rec.inits[s]);
        TRY(compile_recurrence(rec, a, options));
        code.pattern = CompiledPattern::Recurrence;
    } else if (match_function_reduction(fn, red)) {
        fold(red.start);
        fold(red.end);
        fold(red.init);
        TRY(compile_reduction(red, a, options));
        code.pattern = CompiledPattern::Reduction;
    } else if (match_function_map(fn, map)) {
        fold(map.start);
        fold(map.end);
        TRY(compile_map(map, a, options, &code.data));
        code.pattern = CompiledPattern::Map;
    } else if (match_function_matmul(fn, matmul)) {
        TRY(compile_matmul(matmul, a, options));
        code.pattern = CompiledPattern::Matmul;
    } else {
        return Error::JitUnsupported;
    }
    if (a.has_error())
        return a.error();
    return code;
}

}
