// Parsing the `llm` command's options, as llama2.c's run.c reads them: a
// checkpoint, then flag/value pairs. Values are checked (run.c's atof/atoi
// would take "abc" as 0); out-of-range values are then clamped as run.c
// clamps them: a negative temperature is 0, a top-p outside [0, 1] is 0.9,
// negative steps are 0 (which means the checkpoint's seq_len).
#include <kernel/lib/format.h>
#include <kernel/llm/llm.h>
#include <microjit/runtime/literal.h>

namespace {

ErrorOr<void> refuse(char* why, usize why_size, const char* reason, const char* text)
{
    format_to(why, why_size, reason, text);
    return Error::BadArguments;
}

} // namespace

ErrorOr<void> parse_llm_options(int argc, char** argv, LlmOptions& out, char* why, usize why_size)
{
    out = LlmOptions {};
    if (argc < 2 || argv[1][0] == '-')
        return refuse(why, why_size, "usage: %s", llm_usage);
    out.checkpoint = argv[1];
    for (int i = 2; i < argc; i += 2) {
        const char* flag = argv[i];
        if (flag[0] != '-' || !flag[1] || flag[2])
            return refuse(why, why_size, "'%s' is not an option (-z -n -t -p -s -i)", flag);
        if (i + 1 >= argc)
            return refuse(why, why_size, "%s needs a value", flag);
        const char* value = argv[i + 1];
        switch (flag[1]) {
        case 'z':
            out.tokenizer = value;
            break;
        case 'i':
            out.prompt = value;
            break;
        case 'n':
            if (!parse_i32_literal(value, out.steps))
                return refuse(why, why_size, "-n %s: the number of steps is a whole number", value);
            break;
        case 's': {
            i32 seed;
            if (!parse_i32_literal(value, seed))
                return refuse(why, why_size, "-s %s: the seed is a whole number", value);
            out.seed = static_cast<u64>(static_cast<i64>(seed)); // run.c: atoi into an unsigned long long
            break;
        }
        case 't':
            if (!parse_f32_literal(value, out.temperature) || out.temperature != out.temperature)
                return refuse(why, why_size, "-t %s: the temperature is a number", value);
            break;
        case 'p':
            if (!parse_f32_literal(value, out.topp) || out.topp != out.topp)
                return refuse(why, why_size, "-p %s: top-p is a number", value);
            break;
        default:
            return refuse(why, why_size, "'%s' is not an option (-z -n -t -p -s -i)", flag);
        }
    }
    if (out.temperature < 0.0f)
        out.temperature = 0.0f;
    if (out.topp < 0.0f || out.topp > 1.0f)
        out.topp = 0.9f;
    if (out.steps < 0)
        out.steps = 0;
    return {};
}
