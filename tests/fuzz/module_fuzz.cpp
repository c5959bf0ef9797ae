// libFuzzer target for the .bfm loader and verifier (and, for what they
// accept, the interpreter under a step limit). Built with clang,
// -fsanitize=fuzzer,address,undefined, -m32 like the kernel; `make fuzz`
// runs it for a bounded time starting from the shipped modules.
//
// The first input byte chooses how the rest is treated: as it is, or with
// file_size, content hash and CRC repaired first. Without the repair almost
// every mutation dies at the CRC check and the verifier's deeper rules would
// never be reached.
#include <microjit/module/interpreter.h>
#include <microjit/module/module.h>
#include <microjit/runtime/crc32.h>
#include <microjit/runtime/fnv1a64.h>

#include <cstdlib>
#include <cstring>
#include <vector>

namespace {

class FuzzAllocator final : public ModuleAllocator {
public:
    void* allocate(usize size, usize align) override
    {
        if (size > (64u << 20))
            return nullptr; // keep libFuzzer's RSS limit out of the picture
        void* p = std::aligned_alloc(16, (size + 15) / 16 * 16);
        if (p)
            std::memset(p, 0, size);
        return p;
    }
    void deallocate(void* pointer, usize) override { std::free(pointer); }
};

void repair(std::vector<u8>& file)
{
    if (file.size() < 128)
        return;
    u32 size = static_cast<u32>(file.size());
    std::memcpy(&file[24], &size, 4);
    u64 hash = fnv1a64(file.data() + 128, file.size() - 128);
    std::memcpy(&file[32], &hash, 8);
    std::memset(&file[28], 0, 4);
    u32 crc = crc32(file.data(), file.size());
    std::memcpy(&file[28], &crc, 4);
}

}

extern "C" int LLVMFuzzerTestOneInput(const u8* data, size_t size)
{
    if (size == 0)
        return 0;
    std::vector<u8> file(data + 1, data + size);
    if (data[0] & 1)
        repair(file);

    FuzzAllocator allocator;
    ModuleDiagnostic diagnostic {};
    auto loaded = load_module(file.data(), file.size(), allocator, &diagnostic);
    if (loaded.is_error()) {
        if (diagnostic.error != loaded.error() || diagnostic.message[0] == '\0')
            std::abort(); // every rejection must explain itself
        return 0;
    }
    Module* module = loaded.value();
    InstanceConfig config;
    config.step_limit = 5000;
    auto created = create_instance(*module, allocator, config);
    if (!created.is_error()) {
        ModuleInstance* instance = created.value();
        i32 ints[4] = { 1, 2, 3, 4 };
        f32 floats[4] = { 0.5f, -1.0f, 2.0f, 3.0f };
        for (u32 f = 0; f < module->function_count && f < 8; ++f) {
            const FunctionInfo& info = module->functions[f];
            Value args[16];
            for (u32 p = 0; p < info.param_count; ++p) {
                switch (info.register_types[p]) {
                case ValueType::I32:
                    args[p] = Value::from_i32(static_cast<i32>(p) - 1);
                    break;
                case ValueType::F32:
                    args[p] = Value::from_f32(1.5f);
                    break;
                case ValueType::ViewI32:
                    args[p] = Value::from_view(ints, 4);
                    break;
                default:
                    args[p] = Value::from_view(floats, 4);
                    break;
                }
            }
            (void)call_function(*instance, f, args, info.param_count);
            if (instance->call_depth != 0)
                std::abort();
        }
        destroy_instance(instance);
    }
    destroy_module(module, allocator);
    return 0;
}
