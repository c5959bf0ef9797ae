// The `llm` command: text generation with a llama2.c-compatible transformer
// written in Flow (modules/llama2.flow). This is the part both homes share:
// the kernel's shell command (command_llm.cpp) and the host tool
// build/host/llm (tools/llm/llm.cpp) parse the same options, drive the module
// through the same steps and print the same text, so a run on the host and
// one in the kernel can be compared token for token.
//
// The module does all the work; the loop here only binds its files, sizes
// its buffers from its size_BUF() functions, hands it the prompt and calls
// step() as llama2.c's run.c calls forward() and sample(), timing it the way
// run.c does ("achieved tok/s").
#pragma once

#include <bareflow/error_or.h>
#include <bareflow/types.h>
#include <microjit/module/instance.h>
#include <microjit/module/module.h>

// run.c's options: llm CHECKPOINT [-z TOKENIZER] [-n STEPS] [-t TEMP] [-p TOPP] [-s SEED] [-i PROMPT]
struct LlmOptions {
    const char* checkpoint = nullptr;
    const char* tokenizer = nullptr; // nullptr: tokenizer.bin beside the checkpoint
    i32 steps = 256;                 // 0: the checkpoint's seq_len
    f32 temperature = 1.0f;
    f32 topp = 0.9f;
    u64 seed = 0;                    // 0: taken from the clock, as run.c takes time()
    const char* prompt = "";
};

inline constexpr const char* llm_usage =
    "llm CHECKPOINT [-z TOKENIZER] [-n STEPS] [-t TEMP] [-p TOPP] [-s SEED] [-i PROMPT]";

// Parses argv[1..argc) (argv[0] is the command's name). On an error, writes
// a one-line reason into why and returns Error::BadArguments.
ErrorOr<void> parse_llm_options(int argc, char** argv, LlmOptions& out, char* why, usize why_size);

// What the loop needs from its home.
class LlmHome {
public:
    // Calls a function of the module; on a trap, reports it and returns the error.
    virtual ErrorOr<Value> call(u32 function, const Value* args, u32 count) = 0;
    // Gives buffer `buffer` `count` elements (zero-filled); reports why not.
    virtual ErrorOr<void> resize(u32 buffer, u32 count) = 0;
    // Binds the module's file item `item` to a path.
    virtual ErrorOr<void> bind(u32 item, const char* path) = 0;
    // The current view of a buffer (it moves when the buffer is resized).
    virtual View buffer(u32 buffer) = 0;
    // The tier a function's calls run at now (0 = the interpreter).
    virtual u8 tier(u32 function) = 0;
    virtual u64 now_ns() = 0;
    // Writes text to where the module's print builtins write.
    virtual void write(const char* text) = 0;
    // Writes a status line (load time, errors) where the user sees it.
    virtual void status(const char* text) = 0;
    // Every buffer has its size for this model: native code saved for this
    // layout (a JIT snapshot) may go in now.
    virtual void buffers_sized() { }

protected:
    ~LlmHome() = default;
};

// Figures of one run, for the caller to report or test.
struct LlmReport {
    u32 tokens = 0;           // positions run, as run.c's pos
    u64 load_ns = 0;          // open + sizing + load
    u64 first_token_ns = 0;   // from the start of the run to the first printed piece
    u8 first_token_tier = 0;  // the tier of matmul() when the first token was printed
    double tokens_per_second = 0;
};

// Runs the generation. Errors have been reported through home.status().
ErrorOr<LlmReport> run_llm(const Module& module, const LlmOptions& options, LlmHome& home);
