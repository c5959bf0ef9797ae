// Saving snapshots (docs/snapshot-format.md). A module's file holds the
// profile of every function and the code of each function that has native
// code; each rel32 branch that leaves its blob (calls of the runtime
// helpers, jumps to the runtime's trap exits) becomes a relocation to its
// absolute target, so the blob may land anywhere in the code pool. Other
// addresses in the code (the instance's counters and dispatch table, the
// buffers) are recorded in the Layout; a loader uses the code only where
// they are the same.
#include <kernel/fs/boot_volume.h>
#include <kernel/jit/boot_hooks.h>
#include <kernel/jit/code_walk.h>
#include <kernel/jit/snapshot.h>
#include <kernel/jit/snapshot_format.h>
#include <kernel/lib/format.h>
#include <kernel/lib/kprintf.h>
#include <kernel/lib/string.h>
#include <kernel/mm/heap.h>
#include <microjit/runtime/crc32.h>

extern "C" u8 __kernel_start[];



namespace {

constexpr u32 align4(u32 n) { return (n + 3) & ~3u; }

u32 relocations_needed(const CodeWalk& walk, u32 size)
{
    u32 n = 0;
    for (u32 i = 0; i < walk.branch_count; ++i) {
        const BranchSite& b = walk.branches[i];
        if (b.target < 0 || b.target >= static_cast<i64>(size))
            ++n;
    }
    return n;
}

ErrorOr<void> ensure_directory(fat16::Volume& volume)
{
    fat16::EntryInfo* info = static_cast<fat16::EntryInfo*>(kmalloc(sizeof(fat16::EntryInfo)));
    if (!info)
        return Error::OutOfMemory;
    auto found = volume.stat(snapshot::directory, *info);
    bool is_directory = !found.is_error() && info->is_directory();
    kfree(info);
    if (is_directory)
        return {};
    if (found.is_error() && found.error() == Error::FsNotFound)
        return volume.mkdir(snapshot::directory);
    return found.is_error() ? found.error() : Error::FsNotDirectory;
}

} // namespace

void snapshot_path_for_file(const char* snp_name, char* out, usize size)
{
    format_to(out, size, "%s/%s", snapshot::directory, snp_name);
}

void snapshot_path(const LoadedModule& slot, char* out, usize size)
{
    char base[9];
    usize n = 0;
    while (slot.file_name[n] && slot.file_name[n] != '.' && n < 8) {
        base[n] = slot.file_name[n];
        ++n;
    }
    base[n] = 0;
    format_to(out, size, "%s/%s.SNP", snapshot::directory, base);
}

ErrorOr<u32> save_snapshot(LoadedModule& slot)
{
    if (!slot.has_environment)
        return Error::NotSupported;
    const Module& m = *slot.module;
    const ModuleInstance& instance = *slot.instance;
    JitInstance& jit = *slot.jit;
    u32 count = m.function_count;

    // Walk every blob first: the size of the file depends on it.
    auto* walks = static_cast<CodeWalk*>(kzalloc(sizeof(CodeWalk) * count));
    if (!walks)
        return Error::OutOfMemory;
    u32 size = sizeof(snapshot::Header) + sizeof(snapshot::Layout) + 4 * m.buffer_count + sizeof(snapshot::FunctionRecord) * count;
    u32 code_count = 0;
    for (u32 f = 0; f < count; ++f) {
        const JitFunctionProfile& p = jit.profile(f);
        if (!p.code || !p.code_size)
            continue;
        if (walk_code(p.code, p.code_size, walks[f]).is_error()) {
            kprintf("snap: %s.%s: its code does not walk cleanly at +0x%x; left out\n", m.name, m.functions[f].name,
                    walks[f].bad_offset);
            free_code_walk(walks[f]);
            continue;
        }
        bool short_escape = false;
        for (u32 i = 0; i < walks[f].branch_count; ++i) {
            const BranchSite& b = walks[f].branches[i];
            short_escape |= b.field_size == 1 && (b.target < 0 || b.target >= static_cast<i64>(p.code_size));
        }
        if (short_escape) {
            kprintf("snap: %s.%s: a short branch leaves its code; left out\n", m.name, m.functions[f].name);
            free_code_walk(walks[f]);
            continue;
        }
        ++code_count;
        size += sizeof(snapshot::CodeEntry) + sizeof(snapshot::Relocation) * relocations_needed(walks[f], p.code_size)
            + align4(p.code_size);
    }

    u8* file = static_cast<u8*>(kzalloc(size));
    if (!file) {
        for (u32 f = 0; f < count; ++f)
            free_code_walk(walks[f]);
        kfree(walks);
        return Error::OutOfMemory;
    }
    auto* header = reinterpret_cast<snapshot::Header*>(file);
    memcpy(header->magic, snapshot::magic, 4);
    header->format_version = snapshot::format_version;
    header->header_size = sizeof(snapshot::Header);
    header->file_size = size;
    header->module_hash = m.content_hash;
    header->jit_version = snapshot::current_jit_version();
    header->cpu_features = snapshot::current_cpu_features();
    header->boot_count = current_boot_count();
    copy_string(header->module_name, sizeof(header->module_name), m.name);
    header->function_count = count;
    header->code_count = code_count;
    header->buffer_count = m.buffer_count;
    header->layout_offset = sizeof(snapshot::Header);
    header->profiles_offset = header->layout_offset + sizeof(snapshot::Layout) + 4 * m.buffer_count;
    header->code_offset = header->profiles_offset + sizeof(snapshot::FunctionRecord) * count;

    auto* layout = reinterpret_cast<snapshot::Layout*>(file + header->layout_offset);
    const NativeEnvironment& env = slot.environment;
    layout->instance = reinterpret_cast<u32>(env.instance);
    layout->instance_allocation = reinterpret_cast<u32>(instance.allocation);
    layout->instance_size = static_cast<u32>(instance.allocation_size);
    layout->jit = reinterpret_cast<u32>(env.jit);
    layout->stubs = reinterpret_cast<u32>(env.stubs);
    layout->states = reinterpret_cast<u32>(env.states);
    layout->stubs_block = reinterpret_cast<u32>(env.stubs->block);
    u32* buffer_bases = reinterpret_cast<u32*>(layout + 1);
    for (u32 b = 0; b < m.buffer_count; ++b)
        buffer_bases[b] = reinterpret_cast<u32>(instance.buffers[b].base);

    auto* records = reinterpret_cast<snapshot::FunctionRecord*>(file + header->profiles_offset);
    u8* cursor = file + header->code_offset;
    for (u32 f = 0; f < count; ++f) {
        const JitFunctionProfile& p = jit.profile(f);
        u64 calls = jit.calls(f), loops = jit.loop_iterations(f);
        records[f].calls = calls > 0xFFFFFFFFull ? 0xFFFFFFFFu : static_cast<u32>(calls);
        records[f].loop_iterations = loops > 0xFFFFFFFFull ? 0xFFFFFFFFu : static_cast<u32>(loops);
        records[f].tier = p.tier;
        records[f].compiles = slot.compiles[f] > 0xFFFF ? 0xFFFF : static_cast<u16>(slot.compiles[f]);
        if (!walks[f].starts)
            continue;
        records[f].has_code = 1;
        auto* entry = reinterpret_cast<snapshot::CodeEntry*>(cursor);
        entry->function = f;
        entry->tier = p.tier;
        entry->isa = static_cast<u8>(p.isa);
        entry->code_size = p.code_size;
        auto* relocations = reinterpret_cast<snapshot::Relocation*>(entry + 1);
        u32 r = 0;
        for (u32 i = 0; i < walks[f].branch_count; ++i) {
            const BranchSite& b = walks[f].branches[i];
            if (b.target >= 0 && b.target < static_cast<i64>(p.code_size))
                continue;
            relocations[r++] = snapshot::Relocation { b.field_offset, static_cast<u32>(reinterpret_cast<u32>(p.code) + b.target) };
        }
        entry->relocation_count = r;
        memcpy(relocations + r, p.code, p.code_size);
        cursor = reinterpret_cast<u8*>(relocations + r) + align4(p.code_size);
        free_code_walk(walks[f]);
    }
    kfree(walks);
    header->crc32 = crc32(file, size);

    char path[32];
    snapshot_path(slot, path, sizeof(path));
    auto volume = boot_volume();
    ErrorOr<void> written = volume.is_error() ? ErrorOr<void>(volume.error()) : ensure_directory(*volume.value());
    if (!written.is_error())
        written = volume.value()->replace_file(path, file, size);
    if (!written.is_error())
        written = volume.value()->sync();
    kfree(file);
    if (written.is_error())
        return written.error();
    mark_snapshot_current(slot);
    return size;
}

ErrorOr<void> save_all_snapshots()
{
    if (!jit_system_ready())
        return Error::NotSupported;
    u32 saved = 0;
    Error first = Error::Ok;
    for (LoadedModule* slot = loaded_modules_begin(); slot != loaded_modules_end(); ++slot) {
        if (!slot->used || !slot->has_environment)
            continue;
        char path[32];
        snapshot_path(*slot, path, sizeof(path));
        auto size = save_snapshot(*slot);
        if (size.is_error()) {
            kprintf("snap: %s not saved: %s\n", path, error_message(size.error()));
            if (first == Error::Ok)
                first = size.error();
            continue;
        }
        ++saved;
        kprintf("snap: saved %s (%u bytes)\n", path, size.value());
    }
    if (!saved && first == Error::Ok)
        kprintf("snap: no module has native code yet; nothing saved\n");
    if (first != Error::Ok)
        return first;
    return {};
}
