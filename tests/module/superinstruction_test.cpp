// The interpreter fuses common instruction sequences into one handler
// (interpreter_code.h). A fused sequence must behave exactly as its parts:
// each case here runs a sequence twice, as written and with a nop between
// every two instructions (which prevents fusion), and compares results,
// traps and trap offsets over a grid of inputs. The cases alias registers
// on purpose, since that is where passing values in host registers could go
// wrong.
#include "test_support.h"

using namespace test;

namespace {

// Registers: r0 x, r1 y (parameters), r2..r5 i32, r6 [i32], r7..r9 f32,
// r10 [f32]. The body ends by folding r2..r5 and the f32s into one i32
// result. A forloop part jumps back to the start of the sequence.
std::vector<u8> module_for(const std::vector<Code>& parts, bool separate)
{
    ModuleBuilder b;
    b.buffers.push_back({ "V", VI32, 6 });
    b.buffers.push_back({ "W", VF32, 6 });
    auto& f = b.function("f", { I32, I32 }, I32, { I32, I32, I32, I32, VI32, F32, F32, F32, VF32 });
    Code& c = f.code;
    // Defined starting values for every register.
    c.op(Opcode::ADDI_I32, { 2, 0, 1 }).op(Opcode::ADDI_I32, { 3, 1, 2 }).op(Opcode::MULI_I32, { 4, 0, 3 }).op(Opcode::CONST_I32, { 5, 2 });
    c.op(Opcode::GVIEW, { 6, 0 }).op(Opcode::GVIEW, { 10, 1 });
    c.op(Opcode::F32_FROM_I32, { 7, 0 }).op(Opcode::F32_FROM_I32, { 8, 1 }).op(Opcode::CONST_F32, { 9, Code::f32_bits(0.375f) });
    for (u32 i = 0; i < 6; ++i) { // V[i] = i * 3 - 4
        c.op(Opcode::CONST_I32, { 2, i }).op(Opcode::MULI_I32, { 3, 2, 3 }).op(Opcode::ADDI_I32, { 3, 3, static_cast<u32>(-4) });
        c.op(Opcode::STORE_I32, { 6, 2, 3 });
        c.op(Opcode::F32_FROM_I32, { 7, 3 }).op(Opcode::STORE_F32, { 10, 2, 7 }); // W[i] = V[i]
    }
    c.op(Opcode::F32_FROM_I32, { 7, 0 });
    c.op(Opcode::ADDI_I32, { 2, 0, 1 }).op(Opcode::ADDI_I32, { 3, 1, 2 });
    u32 start = c.here();
    for (size_t i = 0; i < parts.size(); ++i) {
        if (separate && i > 0)
            c.op(Opcode::NOP);
        u32 at = c.here();
        c.bytes.insert(c.bytes.end(), parts[i].bytes.begin(), parts[i].bytes.end());
        if (parts[i].bytes[0] == static_cast<u8>(Opcode::FORLOOP))
            std::memcpy(&c.bytes[at + 3], &start, 4);
    }
    // result = r2 + 3*r3 + 5*r4 + 7*r5 + bits-ish of the floats
    c.op(Opcode::MULI_I32, { 3, 3, 3 }).op(Opcode::ADD_I32, { 2, 2, 3 });
    c.op(Opcode::MULI_I32, { 4, 4, 5 }).op(Opcode::ADD_I32, { 2, 2, 4 });
    c.op(Opcode::MULI_I32, { 5, 5, 7 }).op(Opcode::ADD_I32, { 2, 2, 5 });
    c.op(Opcode::ADD_F32, { 7, 7, 8 }).op(Opcode::ADD_F32, { 7, 7, 9 });
    c.op(Opcode::CONST_F32, { 8, Code::f32_bits(64.0f) }).op(Opcode::MUL_F32, { 7, 7, 8 });
    c.op(Opcode::I32_FROM_F32, { 3, 7 }).op(Opcode::ADD_I32, { 2, 2, 3 }).op(Opcode::RET, { 2 });
    return b.build();
}

void expect_same(const std::vector<Code>& parts, const char* what)
{
    auto fused = host::load_bytes(module_for(parts, false));
    auto plain = host::load_bytes(module_for(parts, true));
    ASSERT_TRUE(fused->instance) << what << ": " << fused->diagnostic.message;
    ASSERT_TRUE(plain->instance) << what << ": " << plain->diagnostic.message;
    u32 nops_before_trap = 0;
    for (i32 x : { -3, -1, 0, 1, 2, 5, 100000 }) {
        for (i32 y : { -2, 0, 1, 3, 7, 65536 }) {
            Value args[2] = { Value::from_i32(x), Value::from_i32(y) };
            auto a = call_function(*fused->instance, 0, args, 2);
            auto b = call_function(*plain->instance, 0, args, 2);
            ASSERT_EQ(a.is_error(), b.is_error()) << what << " x=" << x << " y=" << y;
            if (a.is_error()) {
                EXPECT_EQ(a.error(), b.error()) << what;
                // The plain copy has one nop per boundary before the trapping part.
                u32 fo = fused->instance->trap.offset, po = plain->instance->trap.offset;
                EXPECT_LE(fo, po) << what;
                EXPECT_LE(po - fo, parts.size()) << what;
                nops_before_trap = po - fo;
            } else {
                EXPECT_EQ(a.value().i, b.value().i) << what << " x=" << x << " y=" << y;
            }
        }
    }
    (void)nops_before_trap;
}

Code op(Opcode o, std::initializer_list<u32> operands) { return Code().op(o, operands); }

}

TEST(Superinstructions, MovPairsWithAliasing)
{
    expect_same({ op(Opcode::MOV, { 4, 2 }), op(Opcode::MOV, { 5, 3 }) }, "independent movs");
    expect_same({ op(Opcode::MOV, { 2, 3 }), op(Opcode::MOV, { 3, 2 }) }, "mov chain");
    expect_same({ op(Opcode::MOV, { 2, 2 }), op(Opcode::MOV, { 2, 3 }) }, "self mov");
}

TEST(Superinstructions, RotationIsFusedOnlyWhenTheSumSurvives)
{
    expect_same({ op(Opcode::ADD_I32, { 4, 2, 3 }), op(Opcode::MOV, { 2, 3 }), op(Opcode::MOV, { 3, 4 }) }, "fib rotation");
    expect_same({ op(Opcode::ADD_I32, { 4, 2, 3 }), op(Opcode::MOV, { 4, 3 }), op(Opcode::MOV, { 3, 4 }) }, "first mov overwrites the sum");
    expect_same({ op(Opcode::ADD_I32, { 2, 2, 2 }), op(Opcode::MOV, { 3, 2 }), op(Opcode::MOV, { 5, 2 }) }, "sum read by both movs");
    expect_same({ op(Opcode::ADD_I32, { 4, 2, 3 }), op(Opcode::MOV, { 2, 4 }), op(Opcode::MOV, { 3, 4 }) }, "both movs copy the sum");
}

TEST(Superinstructions, LoadsAndIndexArithmetic)
{
    // r2 and r3 hold x+1 and y+2: often outside V's 6 elements, so traps are covered.
    expect_same({ op(Opcode::LOAD_I32, { 4, 6, 2 }), op(Opcode::LOAD_I32, { 5, 6, 3 }) }, "two loads");
    expect_same({ op(Opcode::LOAD_I32, { 2, 6, 2 }), op(Opcode::LOAD_I32, { 2, 6, 2 }) }, "load feeding load");
    expect_same({ op(Opcode::ADD_I32, { 4, 2, 3 }), op(Opcode::LOAD_I32, { 5, 6, 4 }) }, "add then load of the sum");
    expect_same({ op(Opcode::ADD_I32, { 4, 2, 3 }), op(Opcode::LOAD_I32, { 5, 6, 2 }) }, "add then unrelated load");
    expect_same({ op(Opcode::ADD_I32, { 4, 2, 3 }), op(Opcode::LOAD_I32, { 4, 6, 4 }) }, "load overwrites its index");
    expect_same({ op(Opcode::MUL_I32, { 4, 2, 3 }), op(Opcode::ADD_I32, { 4, 4, 5 }) }, "mul then add, product first");
    expect_same({ op(Opcode::MUL_I32, { 4, 2, 3 }), op(Opcode::ADD_I32, { 4, 5, 4 }) }, "mul then add, product second");
    expect_same({ op(Opcode::MUL_I32, { 4, 2, 2 }), op(Opcode::ADD_I32, { 4, 4, 4 }) }, "mul then add, product twice");
    expect_same({ op(Opcode::MUL_I32, { 4, 2, 3 }), op(Opcode::ADD_I32, { 4, 4, 5 }), op(Opcode::LOAD_I32, { 5, 6, 4 }) },
        "mul, add, load of the result");
    expect_same({ op(Opcode::MUL_I32, { 4, 2, 3 }), op(Opcode::ADD_I32, { 5, 4, 2 }), op(Opcode::LOAD_I32, { 5, 6, 4 }) },
        "mul, add, load of something else");
}

TEST(Superinstructions, LoopsEndingInForloop)
{
    // r5 counts from 2 up to y; the body traps out of bounds for large y.
    Code loop = op(Opcode::FORLOOP, { 5, 1, 0 });
    expect_same({ op(Opcode::ADD_I32, { 2, 2, 5 }), loop }, "sum loop");
    expect_same({ op(Opcode::ADD_F32, { 7, 7, 8 }), loop }, "float sum loop");
    expect_same({ op(Opcode::MOV, { 2, 3 }), op(Opcode::MOV, { 3, 4 }), loop }, "mov mov loop");
    expect_same({ op(Opcode::ADD_I32, { 4, 2, 3 }), op(Opcode::MOV, { 2, 3 }), op(Opcode::MOV, { 3, 4 }), loop }, "fib loop");
    expect_same({ op(Opcode::MUL_F32, { 8, 7, 9 }), op(Opcode::ADD_F32, { 7, 7, 8 }), loop }, "multiply-accumulate loop");
    Code strided[] = {
        op(Opcode::MUL_I32, { 4, 5, 0 }),     // t = i * x
        op(Opcode::ADD_I32, { 4, 4, 3 }),     // k = t + r3
        op(Opcode::LOAD_F32, { 8, 10, 4 }),   // w = W[k]
        op(Opcode::MUL_F32, { 8, 9, 8 }),     // p = c * w
        op(Opcode::ADD_F32, { 7, 7, 8 }),     // s += p
    };
    expect_same({ strided[0], strided[1], strided[2], strided[3], strided[4], loop }, "strided multiply-accumulate loop");
    expect_same({ strided[0], op(Opcode::ADD_I32, { 4, 3, 4 }), strided[2], strided[3], strided[4], loop }, "strided, index sum swapped");
    expect_same({ strided[0], strided[1], strided[2], op(Opcode::MUL_F32, { 8, 8, 8 }), strided[4], loop }, "strided, square of the load");
    expect_same({ op(Opcode::MUL_I32, { 4, 5, 5 }), op(Opcode::ADD_I32, { 4, 4, 4 }), strided[2], strided[3], strided[4], loop },
        "strided, product used twice");
}

TEST(Superinstructions, FloatMultiplyAdd)
{
    expect_same({ op(Opcode::MUL_F32, { 7, 7, 8 }), op(Opcode::ADD_F32, { 9, 9, 7 }) }, "s += a * b");
    expect_same({ op(Opcode::MUL_F32, { 7, 7, 8 }), op(Opcode::ADD_F32, { 9, 7, 9 }) }, "product as first addend (not fused)");
    expect_same({ op(Opcode::MUL_F32, { 7, 7, 7 }), op(Opcode::ADD_F32, { 7, 7, 7 }) }, "product added to itself");
    expect_same({ op(Opcode::MUL_F32, { 8, 7, 9 }), op(Opcode::ADD_F32, { 8, 8, 8 }) }, "product in both operands");
}
