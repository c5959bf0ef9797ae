// verify_function(): rules 3-8 of docs/module-format.md for one body.
//
// Three passes, each linear in the code size:
//   1. decode every instruction in order (rule 3), check each operand's
//      register index and type, buffer and function indices and call
//      signatures (rules 5, 7), and mark instruction starts and block leaders;
//      the last instruction must not fall through (rule 8);
//   2. check that every TARGET is an instruction start inside the function
//      (rule 4);
//   3. the must-be-written dataflow (rule 6): forward, meet = intersection,
//      one bitset of reg_count bits per basic block, worklist to a fixpoint.
//      A block's set only ever shrinks, so each block is revisited at most
//      reg_count + 1 times: the work is bounded by (reg_count + 1) x code size.
//      A read that fails against an intermediate set also fails at the
//      fixpoint (sets only shrink), so errors can be reported as found.
#include <microjit/module/bytecode.h>
#include <microjit/module/format.h>
#include <microjit/module/loader_internal.h>

namespace {

u32 count_bits(u32 v)
{
    // No __builtin_popcount: on i686 without POPCNT it calls into libgcc,
    // which the kernel does not link.
    v = v - ((v >> 1) & 0x55555555u);
    v = (v & 0x33333333u) + ((v >> 2) & 0x33333333u);
    v = (v + (v >> 4)) & 0x0F0F0F0Fu;
    return (v * 0x01010101u) >> 24;
}

bool test_bit(const u32* bits, u32 i) { return (bits[i >> 5] >> (i & 31)) & 1; }
void set_bit(u32* bits, u32 i) { bits[i >> 5] |= 1u << (i & 31); }

bool is_read(OperandKind k)
{
    switch (k) {
    case OperandKind::R_I32:
    case OperandKind::R_F32:
    case OperandKind::RW_I32:
    case OperandKind::R_VIEW:
    case OperandKind::R_VIEW_I32:
    case OperandKind::R_VIEW_F32:
    case OperandKind::R_ANY:
    case OperandKind::R_RET:
        return true;
    default:
        return false;
    }
}

bool is_write(OperandKind k)
{
    switch (k) {
    case OperandKind::W_I32:
    case OperandKind::W_F32:
    case OperandKind::RW_I32:
    case OperandKind::W_VIEW:
    case OperandKind::W_ANY:
        return true;
    default:
        return false;
    }
}

// Scratch memory from the module allocator, returned on every path.
class Scratch {
public:
    Scratch(ModuleAllocator& allocator) : m_allocator(allocator) { }
    ~Scratch()
    {
        if (m_pointer)
            m_allocator.deallocate(m_pointer, m_size);
    }
    u32* allocate_words(usize words)
    {
        m_size = words * 4 + 4;
        m_pointer = m_allocator.allocate(m_size, 16);
        return static_cast<u32*>(m_pointer);
    }

private:
    ModuleAllocator& m_allocator;
    void* m_pointer { nullptr };
    usize m_size { 0 };
};

class FunctionVerifier {
public:
    FunctionVerifier(const Module& module, u32 index, Reporter& reporter)
        : m_module(module)
        , m_index(index)
        , m_function(module.functions[index])
        , m_reporter(reporter)
    {
    }

    ErrorOr<void> run(ModuleAllocator& allocator);

private:
    template<typename... Args>
    Error fail(Error error, u32 code_offset, const char* format, Args... args)
    {
        return m_reporter.fail_in(error, m_index, m_function.name, m_function.code_file_offset, code_offset, format, args...);
    }

    ValueType type_of(u32 reg) const { return m_function.register_types[reg]; }
    ErrorOr<void> check_operands(const Instruction& insn);
    ErrorOr<void> check_register(const Instruction& insn, u32 k, u32 at);
    ErrorOr<void> check_call(const Instruction& insn);
    ErrorOr<void> check_io_arguments(const Instruction& insn, u32 k, u32 at);
    ErrorOr<void> check_targets();
    ErrorOr<void> check_initialisation(ModuleAllocator& allocator);
    ErrorOr<void> transfer(u32 start, u32 end, u32* live);
    u32 block_of(u32 offset) const;

    const Module& m_module;
    u32 m_index;
    const FunctionInfo& m_function;
    Reporter& m_reporter;
    u32* m_starts { nullptr };  // bit per code byte: an instruction starts here
    u32* m_leaders { nullptr }; // bit per code byte: a basic block starts here
    u32* m_prefix { nullptr };  // leaders before each 32-byte word of code
    u32 m_code_words { 0 };
    u32 m_reg_words { 0 };
};

// Byte position of operand k inside its instruction.
u32 operand_position(const OpcodeInfo& info, u32 k)
{
    u32 at = 1;
    for (u32 i = 0; i < k; ++i)
        at += operand_size(info.operands[i]);
    return at;
}

ErrorOr<void> FunctionVerifier::check_register(const Instruction& insn, u32 k, u32 at)
{
    OperandKind kind = insn.info().operands[k];
    u32 reg = insn.operands[k];
    if (reg >= m_function.reg_count)
        return fail(Error::ModuleOutOfRange, at, "%s: register r%u does not exist (reg_count %u)", insn.info().mnemonic, reg, m_function.reg_count);
    ValueType have = type_of(reg);
    ValueType want = have;
    switch (kind) {
    case OperandKind::W_I32:
    case OperandKind::R_I32:
    case OperandKind::RW_I32:
        want = ValueType::I32;
        break;
    case OperandKind::W_F32:
    case OperandKind::R_F32:
        want = ValueType::F32;
        break;
    case OperandKind::R_VIEW:
        if (!is_view_type(have))
            return fail(Error::ModuleTypeMismatch, at, "%s: register r%u is %s, operand needs a view", insn.info().mnemonic, reg, value_type_name(have));
        break;
    case OperandKind::R_VIEW_I32:
        want = ValueType::ViewI32;
        break;
    case OperandKind::R_VIEW_F32:
        want = ValueType::ViewF32;
        break;
    case OperandKind::W_VIEW: {
        // The next operand is the buffer; check_operands() checked its index.
        want = m_module.buffers[insn.operands[k + 1]].type;
        break;
    }
    case OperandKind::R_RET:
        want = m_function.return_type;
        break;
    default:
        break; // W_ANY, R_ANY: MOV compares the two afterwards
    }
    if (have != want)
        return fail(Error::ModuleTypeMismatch, at, "%s: register r%u is %s, operand needs %s", insn.info().mnemonic, reg, value_type_name(have), value_type_name(want));
    return {};
}

// An IO_ARGS operand names a view register and, after it, the i32
// registers of the opcode's scalar arguments (io_argument_count).
ErrorOr<void> FunctionVerifier::check_io_arguments(const Instruction& insn, u32 k, u32 at)
{
    u32 first = insn.operands[k];
    u32 count = io_argument_count(insn.opcode);
    if (first + count > m_function.reg_count)
        return fail(Error::ModuleOutOfRange, at, "%s: argument registers r%u..r%u do not exist (reg_count %u)", insn.info().mnemonic, first,
            first + count - 1, m_function.reg_count);
    if (!is_view_type(type_of(first)))
        return fail(Error::ModuleTypeMismatch, at, "%s: register r%u is %s, the first argument must be a view", insn.info().mnemonic, first,
            value_type_name(type_of(first)));
    for (u32 reg = first + 1; reg < first + count; ++reg) {
        if (type_of(reg) != ValueType::I32)
            return fail(Error::ModuleTypeMismatch, at, "%s: argument register r%u is %s, it must be i32", insn.info().mnemonic, reg,
                value_type_name(type_of(reg)));
    }
    return {};
}

ErrorOr<void> FunctionVerifier::check_call(const Instruction& insn)
{
    u32 result = insn.operands[0];
    u32 callee_index = insn.operands[1];
    u32 args = insn.operands[2];
    if (callee_index >= m_module.function_count)
        return fail(Error::ModuleBadCall, insn.offset + 2, "call: function %u does not exist (%u functions)", callee_index, m_module.function_count);
    const FunctionInfo& callee = m_module.functions[callee_index];
    if (args >= m_function.reg_count || args + callee.param_count > m_function.reg_count)
        return fail(Error::ModuleBadCall, insn.offset + 4, "call %s: argument registers r%u..r%u do not exist (reg_count %u)", callee.name, args,
            args + callee.param_count - (callee.param_count ? 1 : 0), m_function.reg_count);
    for (u32 p = 0; p < callee.param_count; ++p) {
        ValueType have = type_of(args + p);
        ValueType want = callee.register_types[p];
        if (have != want)
            return fail(Error::ModuleBadCall, insn.offset + 4, "call %s: argument %u (r%u) is %s, parameter needs %s", callee.name, p, args + p,
                value_type_name(have), value_type_name(want));
    }
    if (callee.return_type == ValueType::Void) {
        if (result != bfm::no_result_register)
            return fail(Error::ModuleBadCall, insn.offset + 1, "call %s: the callee returns nothing, so the result register must be 255", callee.name);
    } else {
        if (result == bfm::no_result_register)
            return fail(Error::ModuleBadCall, insn.offset + 1, "call %s: the callee returns %s, a result register is needed", callee.name, value_type_name(callee.return_type));
        if (result >= m_function.reg_count)
            return fail(Error::ModuleOutOfRange, insn.offset + 1, "call %s: result register r%u does not exist (reg_count %u)", callee.name, result, m_function.reg_count);
        if (type_of(result) != callee.return_type)
            return fail(Error::ModuleBadCall, insn.offset + 1, "call %s: result register r%u is %s, the callee returns %s", callee.name, result,
                value_type_name(type_of(result)), value_type_name(callee.return_type));
    }
    return {};
}

ErrorOr<void> FunctionVerifier::check_operands(const Instruction& insn)
{
    const OpcodeInfo& info = insn.info();
    if (insn.opcode == Opcode::CALL)
        return check_call(insn);
    if (insn.opcode == Opcode::RET && m_function.return_type == ValueType::Void)
        return fail(Error::ModuleTypeMismatch, insn.offset, "ret with a value in a function that returns nothing (use ret.void)");
    if (insn.opcode == Opcode::RET_VOID && m_function.return_type != ValueType::Void)
        return fail(Error::ModuleTypeMismatch, insn.offset, "ret.void in a function that returns %s", value_type_name(m_function.return_type));
    for (u32 k = 0; k < info.operand_count; ++k) {
        u32 at = insn.offset + operand_position(info, k);
        OperandKind kind = info.operands[k];
        if (kind == OperandKind::BUF && insn.operands[k] >= m_module.buffer_count)
            return fail(Error::ModuleOutOfRange, at, "%s: buffer %u does not exist (%u buffers)", info.mnemonic, insn.operands[k], m_module.buffer_count);
        if (kind == OperandKind::FILE && insn.operands[k] >= m_module.file_count)
            return fail(Error::ModuleOutOfRange, at, "%s: file %u does not exist (%u file items)", info.mnemonic, insn.operands[k], m_module.file_count);
        if (kind == OperandKind::IO_ARGS)
            TRY(check_io_arguments(insn, k, at));
    }
    for (u32 k = 0; k < info.operand_count; ++k) {
        OperandKind kind = info.operands[k];
        if (is_read(kind) || is_write(kind))
            TRY(check_register(insn, k, insn.offset + operand_position(info, k)));
    }
    if (insn.opcode == Opcode::MOV && type_of(insn.operands[0]) != type_of(insn.operands[1]))
        return fail(Error::ModuleTypeMismatch, insn.offset, "mov: r%u is %s but r%u is %s", insn.operands[0], value_type_name(type_of(insn.operands[0])),
            insn.operands[1], value_type_name(type_of(insn.operands[1])));
    // A reduction instruction marks the statement `s += e;` (or `-=`) that
    // the float reduction rule lets a JIT regroup: it accumulates into its
    // own destination, and nothing else may carry the mark.
    if ((insn.opcode == Opcode::RADD_F32 || insn.opcode == Opcode::RSUB_F32) && insn.operands[0] != insn.operands[1])
        return fail(Error::ModuleBadReduction, insn.offset + 1, "%s: destination r%u must be the accumulator it reads (r%u)", info.mnemonic,
            insn.operands[0], insn.operands[1]);
    return {};
}

ErrorOr<void> FunctionVerifier::check_targets()
{
    for (u32 at = 0; at < m_function.code_size;) {
        Instruction insn = decode_instruction(m_function.code, m_function.code_size, at).release_value();
        if (has_target(insn.opcode)) {
            u32 target = insn.operands[insn.operand_count - 1];
            u32 where = at + insn.length - 4;
            if (target >= m_function.code_size)
                return fail(Error::ModuleBadJump, where, "%s: target +0x%x is outside the function (%u bytes)", insn.info().mnemonic, target, m_function.code_size);
            if (!test_bit(m_starts, target))
                return fail(Error::ModuleBadJump, where, "%s: target +0x%x is inside an instruction", insn.info().mnemonic, target);
        }
        at += insn.length;
    }
    return {};
}

u32 FunctionVerifier::block_of(u32 offset) const
{
    u32 word = offset >> 5;
    u32 below = m_leaders[word] & ((1u << (offset & 31)) - 1);
    return m_prefix[word] + count_bits(below);
}

// Runs the instructions in [start, end) over the written-set `live`,
// checking every read.
ErrorOr<void> FunctionVerifier::transfer(u32 start, u32 end, u32* live)
{
    for (u32 at = start; at < end;) {
        Instruction insn = decode_instruction(m_function.code, m_function.code_size, at).release_value();
        const OpcodeInfo& info = insn.info();
        for (u32 k = 0; k < info.operand_count; ++k) {
            OperandKind kind = info.operands[k];
            u32 first = insn.operands[k], count = 0;
            if (is_read(kind))
                count = 1;
            else if (kind == OperandKind::ARGS)
                count = m_module.functions[insn.operands[1]].param_count;
            else if (kind == OperandKind::IO_ARGS)
                count = io_argument_count(insn.opcode);
            for (u32 reg = first; reg < first + count; ++reg) {
                if (!test_bit(live, reg))
                    return fail(Error::ModuleUninitialized, at + operand_position(info, k), "%s: register r%u may be read before it is written", info.mnemonic, reg);
            }
        }
        for (u32 k = 0; k < info.operand_count; ++k) {
            OperandKind kind = info.operands[k];
            if (is_write(kind) || (kind == OperandKind::W_RESULT && insn.operands[k] != bfm::no_result_register))
                set_bit(live, insn.operands[k]);
        }
        at += insn.length;
    }
    return {};
}

ErrorOr<void> FunctionVerifier::check_initialisation(ModuleAllocator& allocator)
{
    u32 block_count = m_prefix[m_code_words];
    u32 words = m_reg_words;
    // Per block: start offset, flags (bit 0 reached, bit 1 queued), in-set;
    // plus the worklist and one working set.
    usize total = static_cast<usize>(block_count) * (3 + words) + words;
    Scratch scratch(allocator);
    u32* memory = scratch.allocate_words(total);
    if (!memory)
        return fail(Error::OutOfMemory, 0, "no memory to verify a function with %u blocks", block_count);
    u32* block_start = memory;
    u32* flags = block_start + block_count;
    u32* worklist = flags + block_count;
    u32* in_sets = worklist + block_count;
    u32* live = in_sets + static_cast<usize>(block_count) * words;
    for (u32 at = 0, b = 0; at < m_function.code_size; ++at) {
        if (test_bit(m_leaders, at))
            block_start[b++] = at;
    }

    // Parameters are written on entry.
    for (u32 reg = 0; reg < m_function.param_count; ++reg)
        set_bit(in_sets, reg);
    flags[0] = 3;
    u32 queued = 0;
    worklist[queued++] = 0;
    while (queued) {
        u32 b = worklist[--queued];
        flags[b] &= ~2u;
        u32 start = block_start[b];
        u32 end = b + 1 < block_count ? block_start[b + 1] : m_function.code_size;
        for (u32 w = 0; w < words; ++w)
            live[w] = in_sets[b * words + w];
        TRY(transfer(start, end, live));

        // The block's last instruction decides its successors.
        u32 last = start;
        for (u32 at = start; at < end;) {
            last = at;
            at += decode_instruction(m_function.code, m_function.code_size, at).value().length;
        }
        Instruction insn = decode_instruction(m_function.code, m_function.code_size, last).release_value();
        u32 successors[2];
        u32 successor_count = 0;
        if (has_target(insn.opcode))
            successors[successor_count++] = block_of(insn.operands[insn.operand_count - 1]);
        if (!is_terminator(insn.opcode))
            successors[successor_count++] = b + 1; // rule 8 guarantees a next block
        for (u32 s = 0; s < successor_count; ++s) {
            u32 next = successors[s];
            u32* in = in_sets + static_cast<usize>(next) * words;
            bool changed = false;
            if (!(flags[next] & 1)) {
                for (u32 w = 0; w < words; ++w)
                    in[w] = live[w];
                flags[next] |= 1;
                changed = true;
            } else {
                for (u32 w = 0; w < words; ++w) {
                    u32 meet = in[w] & live[w];
                    changed |= meet != in[w];
                    in[w] = meet;
                }
            }
            if (changed && !(flags[next] & 2)) {
                flags[next] |= 2;
                worklist[queued++] = next;
            }
        }
    }
    return {};
}

ErrorOr<void> FunctionVerifier::run(ModuleAllocator& allocator)
{
    u32 size = m_function.code_size;
    m_code_words = (size + 31) / 32;
    m_reg_words = (m_function.reg_count + 31) / 32;
    Scratch scratch(allocator);
    u32* memory = scratch.allocate_words(3 * m_code_words + 1);
    if (!memory)
        return fail(Error::OutOfMemory, 0, "no memory to verify a %u-byte function", size);
    m_starts = memory;
    m_leaders = memory + m_code_words;
    m_prefix = memory + 2 * m_code_words;
    for (u32 i = 0; i < 3 * m_code_words + 1; ++i)
        memory[i] = 0;

    // Pass 1: decode, operands, instruction starts, block leaders.
    set_bit(m_leaders, 0);
    Opcode last = Opcode::NOP;
    u32 last_offset = 0;
    for (u32 at = 0; at < size;) {
        auto decoded = decode_instruction(m_function.code, size, at);
        if (decoded.is_error()) {
            if (decoded.error() == Error::ModuleBadOpcode)
                return fail(Error::ModuleBadOpcode, at, "unknown opcode 0x%x", m_function.code[at]);
            return fail(Error::ModuleOutOfRange, at, "%s runs past the end of the function (%u bytes)", opcode_info(m_function.code[at]).mnemonic, size);
        }
        Instruction insn = decoded.release_value();
        TRY(check_operands(insn));
        set_bit(m_starts, at);
        u32 next = at + insn.length;
        if (has_target(insn.opcode)) {
            u32 target = insn.operands[insn.operand_count - 1];
            if (target < size)
                set_bit(m_leaders, target);
        }
        if ((has_target(insn.opcode) || is_terminator(insn.opcode)) && next < size)
            set_bit(m_leaders, next);
        last = insn.opcode;
        last_offset = at;
        at = next;
    }
    if (!is_terminator(last))
        return fail(Error::ModuleNoReturn, last_offset, "the last instruction (%s) can fall off the end of the function; it must be jmp, ret or ret.void",
            opcode_info(static_cast<u8>(last)).mnemonic);

    // Pass 2: jump targets.
    TRY(check_targets());

    // Pass 3: must-be-written dataflow over the basic blocks.
    for (u32 w = 0; w < m_code_words; ++w)
        m_prefix[w + 1] = m_prefix[w] + count_bits(m_leaders[w]);
    return check_initialisation(allocator);
}

}

ErrorOr<void> verify_function(const Module& module, u32 index, ModuleAllocator& allocator, Reporter& reporter)
{
    FunctionVerifier verifier(module, index, reporter);
    return verifier.run(allocator);
}
