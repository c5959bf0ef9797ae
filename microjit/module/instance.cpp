// create_instance() / destroy_instance(): one allocation for the instance's
// own structures (dispatch table, profiles, buffer views, file paths, interpreter frames,
// decoded code, register stack) and one per module buffer, all from the
// caller's ModuleAllocator.
#include <microjit/module/interpreter.h>
#include <microjit/module/interpreter_code.h>

namespace {

constexpr usize align_up(usize value, usize align) { return (value + align - 1) & ~(align - 1); }

struct Layout {
    usize dispatch, profiles, buffers, paths, frames, code, decoded, stack, total;
    usize stack_slots;
};

Layout layout_for(const Module& m)
{
    Layout l {};
    usize at = align_up(sizeof(ModuleInstance), 16);
    l.dispatch = at;
    at = align_up(at + m.function_count * sizeof(u32), 16);
    l.profiles = at;
    at = align_up(at + m.function_count * sizeof(FunctionProfile), 16);
    l.buffers = at;
    at = align_up(at + m.buffer_count * sizeof(View), 16);
    l.paths = at;
    at = align_up(at + m.file_count * file_path_capacity, 16);
    l.frames = at;
    at = align_up(at + max_call_depth * sizeof(Frame), 16);
    l.code = at;
    at = align_up(at + sizeof(InterpreterCode), 16);
    l.decoded = at;
    at = align_up(at + decoded_size(m), 16);
    // Every interpreted frame takes at most max_reg_count slots, and at most
    // max_call_depth frames run at once, across all tiers.
    l.stack = at;
    l.stack_slots = static_cast<usize>(max_call_depth) * m.max_reg_count;
    at += l.stack_slots * sizeof(Value);
    l.total = at;
    return l;
}

void release_buffers(ModuleInstance* instance, u32 allocated)
{
    for (u32 i = 0; i < allocated; ++i)
        instance->allocator->deallocate(instance->buffers[i].base, static_cast<usize>(instance->buffers[i].length) * 4);
}

}

ErrorOr<ModuleInstance*> create_instance(const Module& module, ModuleAllocator& allocator, const InstanceConfig& config)
{
    Layout l = layout_for(module);
    auto* block = static_cast<u8*>(allocator.allocate(l.total, 16));
    if (!block)
        return Error::OutOfMemory;
    auto* instance = reinterpret_cast<ModuleInstance*>(block);
    *instance = ModuleInstance {};
    instance->module = &module;
    instance->dispatch = reinterpret_cast<u32*>(block + l.dispatch);
    instance->profiles = reinterpret_cast<FunctionProfile*>(block + l.profiles);
    instance->buffers = reinterpret_cast<View*>(block + l.buffers);
    instance->hot_call_threshold = config.hot_call_threshold;
    instance->hot_loop_threshold = config.hot_loop_threshold;
    instance->hooks = config.hooks;
    instance->trap = TrapInfo { Error::Ok, 0, 0 };
    instance->step_limit = config.step_limit;
    instance->steps_left = config.step_limit;
    instance->interrupt = 0;
    instance->allocator = &allocator;
    instance->allocation = block;
    instance->allocation_size = l.total;
    instance->host = nullptr;
    instance->file_paths = reinterpret_cast<char*>(block + l.paths);
    for (u32 i = 0; i < module.file_count; ++i) {
        char* path = instance->file_paths + i * file_path_capacity;
        const char* from = module.files[i].default_path;
        u32 n = 0;
        while (from && from[n] && n + 1 < file_path_capacity) {
            path[n] = from[n];
            ++n;
        }
        path[n] = '\0';
    }
    for (u32 i = 0; i < module.function_count; ++i) {
        instance->dispatch[i] = 0;
        instance->profiles[i] = FunctionProfile { 0, 0 };
    }

    auto* code = reinterpret_cast<InterpreterCode*>(block + l.code);
    code->frames = reinterpret_cast<Frame*>(block + l.frames);
    code->frame_count = 0;
    code->limited = config.step_limit != 0;
    code->functions = decode_functions(module, instance->profiles, block + l.decoded, code->limited);
    instance->code = code;
    instance->stack_base = reinterpret_cast<Value*>(block + l.stack);
    instance->stack_top = instance->stack_base;
    instance->stack_end = instance->stack_base + l.stack_slots;

    for (u32 i = 0; i < module.buffer_count; ++i) {
        u32 count = module.buffers[i].count;
        void* memory = allocator.allocate(static_cast<usize>(count) * 4, 16);
        if (!memory) {
            release_buffers(instance, i);
            allocator.deallocate(block, l.total);
            return Error::OutOfMemory;
        }
        instance->buffers[i] = View { memory, count };
    }
    return instance;
}

void destroy_instance(ModuleInstance* instance)
{
    if (!instance)
        return;
    release_buffers(instance, instance->module->buffer_count);
    instance->allocator->deallocate(instance->allocation, instance->allocation_size);
}
