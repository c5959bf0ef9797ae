// A tiny Flow bytecode assembler for the tier-2 tests: functions are written
// instruction by instruction with labels, the way tools/flowc.py would emit
// them, and come out as a Tier2::ModuleInfo. It checks nothing beyond what
// the tests need; the functions it builds are meant to be verifier-clean.
#pragma once

#include <microjit/tier2/bytecode.h>

#include <cstring>
#include <deque>
#include <string>
#include <vector>

namespace Tier2Test {

using Tier2::Opcode;
using Tier2::Type;

class FunctionBuilder {
public:
    FunctionBuilder(std::string name, std::vector<Type> params, Type ret)
        : m_name(std::move(name))
        , m_return(ret)
        , m_param_count(static_cast<u8>(params.size()))
    {
        for (Type t : params)
            m_types.push_back(static_cast<u8>(t));
    }

    // A new register of type t; parameters are registers 0..n-1.
    u8 reg(Type t)
    {
        m_types.push_back(static_cast<u8>(t));
        return static_cast<u8>(m_types.size() - 1);
    }

    int label() { m_labels.push_back(-1); return static_cast<int>(m_labels.size() - 1); }
    void bind(int label) { m_labels[label] = static_cast<int>(m_code.size()); }

    // Raw forms: op(dest, a, b) for the three-register operations, etc.
    void op(Opcode o, u8 d, u8 a, u8 b) { byte(o); byte(d); byte(a); byte(b); }
    void op(Opcode o, u8 d, u8 a) { byte(o); byte(d); byte(a); }
    void op_imm(Opcode o, u8 d, u8 a, i32 imm) { byte(o); byte(d); byte(a); word(static_cast<u32>(imm)); }
    void mov(u8 d, u8 a) { op(Opcode::MOV, d, a); }
    void const_i32(u8 d, i32 v) { byte(Opcode::CONST_I32); byte(d); word(static_cast<u32>(v)); }
    void const_f32(u8 d, float v) { u32 u; std::memcpy(&u, &v, 4); byte(Opcode::CONST_F32); byte(d); word(u); }
    void gview(u8 d, u16 buffer) { byte(Opcode::GVIEW); byte(d); half(buffer); }
    void len(u8 d, u8 v) { op(Opcode::LEN, d, v); }
    void load(Opcode o, u8 d, u8 v, u8 i) { op(o, d, v, i); }
    void store(Opcode o, u8 v, u8 i, u8 x) { op(o, v, i, x); }
    void jmp(int label) { byte(Opcode::JMP); target(label); }
    void jz(u8 a, int label) { byte(Opcode::JZ); byte(a); target(label); }
    void jnz(u8 a, int label) { byte(Opcode::JNZ); byte(a); target(label); }
    void br(Opcode o, u8 a, u8 b, int label) { byte(o); byte(a); byte(b); target(label); }
    void forloop(u8 i, u8 end, int label) { byte(Opcode::FORLOOP); byte(i); byte(end); target(label); }
    void call(u8 result, u16 function, u8 args) { byte(Opcode::CALL); byte(result); half(function); byte(args); }
    void ret(u8 r) { byte(Opcode::RET); byte(r); }
    void ret_void() { byte(Opcode::RET_VOID); }
    void nop() { byte(Opcode::NOP); }

    // `for i in start..end { body }` exactly as flowc emits it: the entry test
    // `i < end` and the body closed by `forloop`.
    template<typename Body>
    void for_range(u8 i, u8 start, u8 end, Body body)
    {
        int top = label(), done = label();
        mov(i, start);
        br(Opcode::BR_GE_I32, i, end, done);
        bind(top);
        body();
        forloop(i, end, top);
        bind(done);
    }

    void resolve()
    {
        for (auto [at, label] : m_fixups) {
            u32 v = static_cast<u32>(m_labels[label]);
            std::memcpy(&m_code[at], &v, 4);
        }
        m_fixups.clear();
    }

    std::string m_name;
    Type m_return;
    u8 m_param_count;
    std::vector<u8> m_types;
    std::vector<u8> m_code;

private:
    void byte(Opcode o) { m_code.push_back(static_cast<u8>(o)); }
    void byte(u8 v) { m_code.push_back(v); }
    void half(u16 v) { m_code.push_back(v & 0xFF); m_code.push_back(v >> 8); }
    void word(u32 v) { for (int k = 0; k < 4; ++k) m_code.push_back((v >> (8 * k)) & 0xFF); }
    void target(int label) { m_fixups.push_back({ m_code.size(), label }); word(0); }

    std::vector<int> m_labels;
    std::vector<std::pair<size_t, int>> m_fixups;
};

class ModuleBuilder {
public:
    FunctionBuilder& function(std::string name, std::vector<Type> params, Type ret)
    {
        m_functions.emplace_back(std::move(name), std::move(params), ret);
        return m_functions.back();
    }
    u16 buffer(Type type, u32 count)
    {
        m_buffer_types.push_back(type);
        m_buffer_counts.push_back(count);
        return static_cast<u16>(m_buffer_types.size() - 1);
    }
    // Index of the next function to be added (for self-calls while building).
    u16 next_index() const { return static_cast<u16>(m_functions.size()); }

    const Tier2::ModuleInfo& finish()
    {
        m_infos.clear();
        for (auto& f : m_functions) {
            f.resolve();
            Tier2::FunctionInfo info {};
            info.name = f.m_name.c_str();
            info.code = f.m_code.data();
            info.code_size = static_cast<u32>(f.m_code.size());
            info.param_count = f.m_param_count;
            info.return_type = f.m_return;
            info.reg_count = static_cast<u16>(f.m_types.size());
            info.reg_types = f.m_types.data();
            m_infos.push_back(info);
        }
        m_module.functions = m_infos.data();
        m_module.function_count = static_cast<u32>(m_infos.size());
        m_module.buffer_types = m_buffer_types.data();
        m_module.buffer_counts = m_buffer_counts.data();
        m_module.buffer_count = static_cast<u32>(m_buffer_types.size());
        return m_module;
    }

    u32 index_of(const std::string& name) const
    {
        for (size_t i = 0; i < m_functions.size(); ++i)
            if (m_functions[i].m_name == name)
                return static_cast<u32>(i);
        return ~0u;
    }

private:
    std::deque<FunctionBuilder> m_functions;
    std::vector<Tier2::FunctionInfo> m_infos;
    std::vector<Type> m_buffer_types;
    std::vector<u32> m_buffer_counts;
    Tier2::ModuleInfo m_module {};
};

}
