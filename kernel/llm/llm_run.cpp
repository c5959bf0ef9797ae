// The `llm` generation loop (llm.h): binds the module's files, sizes its
// buffers, loads, encodes the prompt and runs step() as run.c's generate()
// runs forward() and sample(). Error codes from the module become messages
// here; the module's own prints are the generated text.
#include <kernel/lib/format.h>
#include <kernel/lib/string.h>
#include <kernel/llm/llm.h>

namespace {

constexpr usize line_size = 320;

[[gnu::format(printf, 2, 3)]] void status(LlmHome& home, const char* format, ...)
{
    char line[line_size];
    va_list args;
    va_start(args, format);
    vformat_to(line, sizeof line, format, args);
    va_end(args);
    home.status(line);
}

const char* file_problem(i32 code)
{
    switch (code) {
    case -1: return "does not exist";
    case -2: return "is not bound to a path";
    case -3: return "cannot be read (a read error or a damaged volume)";
    case -4: return "cannot be written";
    case -5: return "was read at an offset outside the file";
    default: return "cannot be used";
    }
}

// Explains one of llama2.flow's error codes (its E_ constants).
void explain(LlmHome& home, const LlmOptions& o, const char* tokenizer, i32 code)
{
    if (code <= -101 && code >= -105) {
        status(home, "llm: checkpoint %s %s", o.checkpoint, file_problem(code + 100));
    } else if (code <= -121 && code >= -125) {
        status(home, "llm: tokenizer %s %s", tokenizer, file_problem(code + 120));
    } else if (code == -110) {
        status(home, "llm: %s: the header (dim, hidden_dim, n_layers, n_heads, n_kv_heads, vocab_size, seq_len) "
                     "does not describe a model: a size is zero, negative or too large, or the heads do not divide dim",
               o.checkpoint);
    } else if (code == -111) {
        status(home, "llm: %s is shorter than its header says: the checkpoint is truncated or not in llama2.c's legacy format",
               o.checkpoint);
    } else if (code == -112) {
        status(home, "llm: %s: the model's sizes are too large for any buffer (2^28 elements at most)", o.checkpoint);
    } else if (code == -130) {
        status(home, "llm: %s is not a tokenizer for this model: an entry runs past the end of the file or has a bad length",
               tokenizer);
    } else if (code == -132) {
        status(home, "llm: %s has no \" \" token, which every prompt starts with", tokenizer);
    } else if (code == -133) {
        status(home, "llm: the prompt needs a byte token that the vocabulary of %s does not have", tokenizer);
    } else if (code == -140) {
        status(home, "llm: a read of %s or %s stopped early (a read error or a damaged volume)", o.checkpoint, tokenizer);
    } else {
        status(home, "llm: the module failed with code %d", code);
    }
}

struct Entry {
    const char* name;
    u32 index;
};

// A part the driver needs from the module, found by `find`, or a message.
ErrorOr<u32> need(const Module& module, LlmHome& home, ErrorOr<u32> (*find)(const Module&, const char*), const char* kind,
                  const char* name)
{
    auto found = find(module, name);
    if (found.is_error())
        status(home, "llm: module %s has no %s %s; it is not a llama2 module", module.name, kind, name);
    return found;
}

// Calls a function that returns an i32 code; a negative code is explained.
ErrorOr<i32> call_checked(const Module& module, LlmHome& home, const LlmOptions& o, const char* tokenizer, u32 function,
                          const Value* args, u32 count)
{
    Value result = TRY(home.call(function, args, count));
    if (result.i < 0) {
        explain(home, o, tokenizer, result.i);
        return Error::BadArguments;
    }
    (void)module;
    return result.i;
}

// Resizes every buffer B for which the module has a function size_B().
ErrorOr<void> size_buffers(const Module& module, LlmHome& home)
{
    for (u32 b = 0; b < module.buffer_count; ++b) {
        char name[48];
        format_to(name, sizeof name, "size_%s", module.buffers[b].name);
        auto found = find_function(module, name);
        if (found.is_error())
            continue;
        const FunctionInfo& f = module.functions[found.value()];
        if (f.param_count != 0 || f.return_type != ValueType::I32)
            continue;
        Value count = TRY(home.call(found.value(), nullptr, 0));
        if (count.i <= 0) {
            status(home, "llm: %s() gives %d elements for buffer %s", name, count.i, module.buffers[b].name);
            return Error::BadArguments;
        }
        TRY(home.resize(b, static_cast<u32>(count.i)));
    }
    return {};
}

// tokenizer.bin in the checkpoint's folder.
void default_tokenizer(const char* checkpoint, char* out, usize size)
{
    usize folder = 0;
    for (usize i = 0; checkpoint[i]; ++i)
        if (checkpoint[i] == '/')
            folder = i + 1;
    format_to(out, size, "%.*stokenizer.bin", static_cast<int>(folder), checkpoint);
}

} // namespace

ErrorOr<LlmReport> run_llm(const Module& module, const LlmOptions& o, LlmHome& home)
{
    LlmReport report;
    u64 started = home.now_ns();
    char tokenizer_path[256];
    const char* tokenizer = o.tokenizer;
    if (!tokenizer) {
        default_tokenizer(o.checkpoint, tokenizer_path, sizeof tokenizer_path);
        tokenizer = tokenizer_path;
    }

    u32 open = TRY(need(module, home, find_function, "function", "open"));
    u32 load = TRY(need(module, home, find_function, "function", "load"));
    u32 start = TRY(need(module, home, find_function, "function", "start"));
    u32 step = TRY(need(module, home, find_function, "function", "step"));
    u32 matmul = TRY(need(module, home, find_function, "function", "matmul"));
    u32 prompt_buffer = TRY(need(module, home, find_buffer, "buffer", "PROMPT"));
    TRY(home.bind(TRY(need(module, home, find_file_item, "file item", "MODEL")), o.checkpoint));
    TRY(home.bind(TRY(need(module, home, find_file_item, "file item", "TOK")), tokenizer));

    // The prompt first: size_TOKS() depends on its length. Its buffer takes
    // a power of two of at least 256 bytes, so that prompts of most lengths
    // give the same layout and a snapshot of it stays usable.
    u32 prompt_bytes = static_cast<u32>(strlen(o.prompt));
    u32 prompt_room = 256;
    while (prompt_room < prompt_bytes)
        prompt_room *= 2;
    TRY(home.resize(prompt_buffer, prompt_room));
    View prompt = home.buffer(prompt_buffer);
    for (u32 i = 0; i < prompt_bytes; ++i)
        static_cast<i32*>(prompt.base)[i] = static_cast<u8>(o.prompt[i]);

    TRY(call_checked(module, home, o, tokenizer, open, nullptr, 0));
    TRY(size_buffers(module, home));
    home.buffers_sized();
    TRY(call_checked(module, home, o, tokenizer, load, nullptr, 0));
    report.load_ns = home.now_ns() - started;

    u64 seed = o.seed;
    if (seed == 0) {
        seed = static_cast<u32>(home.now_ns() / 1000);
        if (seed == 0)
            seed = 1;
    }
    Value args[6];
    args[0] = Value::from_i32(static_cast<i32>(prompt_bytes));
    args[1] = Value::from_i32(o.steps);
    args[2].raw = 0;
    args[2].f = o.temperature;
    args[3].raw = 0;
    args[3].f = o.topp;
    args[4] = Value::from_i32(static_cast<i32>(static_cast<u32>(seed)));
    args[5] = Value::from_i32(static_cast<i32>(static_cast<u32>(seed >> 32)));
    i32 steps = TRY(call_checked(module, home, o, tokenizer, start, args, 6));

    // run.c's loop: pos counts the positions run; the clock starts after the first one.
    i32 pos = 0;
    u64 timer = 0;
    while (pos < steps) {
        Value at = Value::from_i32(pos);
        Value next = TRY(home.call(step, &at, 1));
        ++pos;
        if (next.i < 0)
            break;
        if (timer == 0) {
            timer = home.now_ns();
            report.first_token_ns = timer - started;
            report.first_token_tier = home.tier(matmul);
        }
    }
    home.write("\n");
    report.tokens = static_cast<u32>(pos);
    if (pos > 1 && timer) {
        u64 elapsed = home.now_ns() - timer;
        report.tokens_per_second = elapsed ? static_cast<double>(pos - 1) * 1e9 / static_cast<double>(elapsed) : 0.0;
        status(home, "achieved tok/s: %f", report.tokens_per_second);
    }
    return report;
}
