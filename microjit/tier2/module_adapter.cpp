// Module -> Tier2::ModuleInfo; see module_adapter.h.
#include <microjit/tier2/module_adapter.h>

namespace Tier2 {

ErrorOr<void> describe_module(const Module& module, Arena& arena, ModuleInfo& out)
{
    FunctionInfo* functions = TRY(arena.allocate<FunctionInfo>(module.function_count ? module.function_count : 1));
    for (u32 f = 0; f < module.function_count; ++f) {
        const ::FunctionInfo& in = module.functions[f];
        FunctionInfo& info = functions[f];
        info.name = in.name;
        info.code = in.code;
        info.code_size = in.code_size;
        info.param_count = in.param_count;
        info.return_type = static_cast<Type>(in.return_type);
        info.reg_count = in.reg_count;
        info.reg_types = reinterpret_cast<const u8*>(in.register_types);
    }
    u32 buffers = module.buffer_count ? module.buffer_count : 1;
    Type* types = TRY(arena.allocate<Type>(buffers));
    u32* counts = TRY(arena.allocate<u32>(buffers));
    for (u32 b = 0; b < module.buffer_count; ++b) {
        types[b] = static_cast<Type>(module.buffers[b].type);
        counts[b] = module.buffers[b].count;
    }
    out.functions = functions;
    out.function_count = module.function_count;
    out.buffer_types = types;
    out.buffer_counts = counts;
    out.buffer_count = module.buffer_count;
    return {};
}

}
