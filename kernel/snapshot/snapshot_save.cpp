// Saving snapshots (docs/snapshot-format.md). A module's file holds the
// profile of every function and the code of each function that has native
// code, with a relocation for every 4-byte field that depends on where
// things are: each rel32 branch that leaves its blob (calls of the runtime
// helpers, jumps to the runtime's trap exits) keeps its absolute target, and
// each absolute address the compiler noted (x86::Assembler::note_absolute)
// becomes a region and an offset in it (snapshot_regions.h), so the code
// can be loaded into an instance anywhere in memory. A specialised function
// is saved as two blocks, its generic code and then its specialised code,
// with the values folded in, its guard failures and argument profiles in its
// record; never its specialised code alone.
#include <kernel/fs/boot_volume.h>
#include <kernel/startup/boot_hooks.h>
#include <kernel/snapshot/code_walk.h>
#include <kernel/snapshot/snapshot.h>
#include <kernel/snapshot/snapshot_format.h>
#include <kernel/snapshot/snapshot_regions.h>
#include <kernel/lib/format.h>
#include <kernel/lib/kprintf.h>
#include <kernel/lib/string.h>
#include <kernel/mm/heap.h>
#include <microjit/runtime/crc32.h>

extern "C" u8 __kernel_start[];



namespace {

static_assert(snapshot::saved_arguments == max_profiled_arguments);

constexpr u32 align4(u32 n) { return (n + 3) & ~3u; }

// One block of a function's code: its only code, or one of the two blocks
// of a specialised function (the generic code the guard falls back to, and
// the specialised code in the dispatch table).
struct Blob {
    const u8* code;
    u32 size;
    const AbsoluteFields* absolutes;
    u8 kind; // snapshot::CodeKind
};

// One blob, checked for saving.
struct Prepared {
    CodeWalk walk;        // walk.starts == nullptr: not saved
    u32 relocation_count; // branches out of the blob + absolute fields
    Blob blob;
};

bool leaves(const BranchSite& b, u32 size) { return b.target < 0 || b.target >= static_cast<i64>(size); }

// Walks one blob and classifies every address in it; false (with a line
// saying why, if `report`) when it cannot be saved.
bool prepare_blob(const LoadedModule& slot, u32 f, const Blob& blob, Prepared& out, bool report)
{
    const char* module = slot.module->name;
    const char* name = slot.module->functions[f].name;
    const char* which = blob.kind == snapshot::CodeGeneric ? " (generic code)"
        : blob.kind == snapshot::CodeSpecialised           ? " (specialised code)"
                                                           : "";
    out = Prepared {};
    out.blob = blob;
    if (!blob.code || !blob.size)
        return false;
    if (!blob.absolutes) {
        if (report)
            kprintf("snap: %s.%s%s: its compiler did not record the addresses in its code; left out\n", module, name, which);
        return false;
    }
    if (walk_code(blob.code, blob.size, out.walk).is_error()) {
        if (report)
            kprintf("snap: %s.%s%s: its code does not walk cleanly at +0x%x; left out\n", module, name, which,
                    out.walk.bad_offset);
        free_code_walk(out.walk);
        return false;
    }
    const NativeEnvironment& env = slot.environment;
    snapshot::RegionMap regions(*slot.instance, slot.jit, env.stubs, env.states, blob.code, blob.size);
    const u32* fields = blob.absolutes->offsets();
    u32 count = 0;
    const char* problem = nullptr;
    u32 at = 0, value = 0;
    for (u32 i = 0; i < out.walk.branch_count && !problem; ++i) {
        const BranchSite& b = out.walk.branches[i];
        if (!leaves(b, blob.size))
            continue;
        if (b.field_size != 4) {
            problem = "a short branch leaves the code";
            at = b.field_offset;
        }
        ++count;
    }
    for (u32 i = 0; i < blob.absolutes->count && !problem; ++i) {
        at = fields[i];
        u16 region;
        u32 offset;
        if (at + 4 > blob.size) {
            problem = "an address field lies outside the code";
            break;
        }
        memcpy(&value, blob.code + at, 4);
        if (!regions.find(value, region, offset)) {
            problem = "an address points into no region a snapshot can rebase";
            break;
        }
        for (u32 k = 0; k < out.walk.branch_count; ++k) {
            const BranchSite& b = out.walk.branches[k];
            if (b.field_offset < at + 4 && at < b.field_offset + b.field_size)
                problem = "an address field overlaps a branch";
        }
        ++count;
    }
    if (problem) {
        if (report)
            kprintf("snap: %s.%s%s: %s (+0x%x, value %#x); left out\n", module, name, which, problem, at, value);
        free_code_walk(out.walk);
        return false;
    }
    out.relocation_count = count;
    return true;
}

// Prepares a function's blobs (out[0], out[1]); returns how many are saved.
// Specialised code is saved only with its generic code, which its guard
// jumps to; when only the generic code can be saved, it is saved alone, as
// the function's code, and the next boot specialises it again.
u32 prepare(const LoadedModule& slot, u32 f, Prepared out[2], bool report)
{
    const JitFunctionProfile& p = slot.jit->profile(f);
    out[0] = Prepared {};
    out[1] = Prepared {};
    if (!p.specialised)
        return prepare_blob(slot, f, Blob { p.code, p.code_size, p.absolutes, snapshot::CodeInstalled }, out[0], report) ? 1 : 0;
    if (!prepare_blob(slot, f, Blob { p.generic_code, p.generic_size, p.generic_absolutes, snapshot::CodeGeneric }, out[0],
                      report)) {
        if (report)
            kprintf("snap: %s.%s: specialised code is never saved without its generic code; left out\n", slot.module->name,
                    slot.module->functions[f].name);
        return 0;
    }
    if (prepare_blob(slot, f, Blob { p.code, p.code_size, p.absolutes, snapshot::CodeSpecialised }, out[1], report))
        return 2;
    out[0].blob.kind = snapshot::CodeInstalled;
    return 1;
}

// Writes one code entry's relocations (branches and absolute fields merged
// in ascending offset order) and its code, the absolute fields zeroed.
u8* write_code_entry(const LoadedModule& slot, u32 f, const Prepared& prepared, u8* cursor)
{
    const JitFunctionProfile& p = slot.jit->profile(f);
    const Blob& blob = prepared.blob;
    const NativeEnvironment& env = slot.environment;
    snapshot::RegionMap regions(*slot.instance, slot.jit, env.stubs, env.states, blob.code, blob.size);
    auto* entry = reinterpret_cast<snapshot::CodeEntry*>(cursor);
    entry->function = f;
    entry->tier = p.tier;
    // Both blocks of a specialised function come from the same tier-2
    // compiler setting (`jit isa` recompiles, which drops the specialisation).
    entry->isa = static_cast<u8>(p.isa);
    entry->kind = blob.kind;
    entry->code_size = blob.size;
    entry->relocation_count = prepared.relocation_count;
    auto* relocations = reinterpret_cast<snapshot::Relocation*>(entry + 1);
    u8* code = reinterpret_cast<u8*>(relocations + prepared.relocation_count);
    memcpy(code, blob.code, blob.size);
    const CodeWalk& walk = prepared.walk;
    const u32* fields = blob.absolutes->offsets();
    u32 r = 0, b = 0, a = 0;
    while (b < walk.branch_count || a < blob.absolutes->count) {
        if (b < walk.branch_count && !leaves(walk.branches[b], blob.size)) {
            ++b;
            continue;
        }
        if (b < walk.branch_count && (a == blob.absolutes->count || walk.branches[b].field_offset < fields[a])) {
            const BranchSite& site = walk.branches[b++];
            u32 target = reinterpret_cast<u32>(blob.code) + static_cast<u32>(site.target);
            relocations[r++] = snapshot::Relocation { site.field_offset, snapshot::RegionRuntime, 0, target };
            continue;
        }
        u32 value;
        memcpy(&value, blob.code + fields[a], 4);
        u16 region = 0;
        u32 offset = 0;
        regions.find(value, region, offset); // prepare_blob() found it
        relocations[r++] = snapshot::Relocation { fields[a], region, 0, offset };
        memset(code + fields[a], 0, 4);
        ++a;
    }
    return code + align4(blob.size);
}

// The profile of function `f`: counters, specialisation, argument profiles.
void write_record(const LoadedModule& slot, u32 f, u32 code_entries, snapshot::FunctionRecord& record)
{
    const JitInstance& jit = *slot.jit;
    const JitFunctionProfile& p = jit.profile(f);
    const NativeFunctionState& state = jit.native_state(f);
    u64 calls = jit.calls(f), loops = jit.loop_iterations(f);
    record.calls = calls > 0xFFFFFFFFull ? 0xFFFFFFFFu : static_cast<u32>(calls);
    record.loop_iterations = loops > 0xFFFFFFFFull ? 0xFFFFFFFFu : static_cast<u32>(loops);
    record.tier = p.tier;
    record.code_entries = static_cast<u8>(code_entries);
    record.compiles = slot.compiles[f] > 0xFFFF ? 0xFFFF : static_cast<u16>(slot.compiles[f]);
    // Saved without its specialised code, the function is generic tier 2.
    if (p.specialised && code_entries == 2) {
        record.flags |= snapshot::FunctionSpecialised;
        record.spec_mask = static_cast<u8>(p.spec.mask);
        for (u32 a = 0; a < snapshot::saved_arguments; ++a)
            record.spec_values[a] = p.spec.has(a) ? p.spec.values[a] : 0;
    }
    if (p.spec_given_up)
        record.flags |= snapshot::FunctionSpecGivenUp;
    // As `tiers` counts them: the closed windows and the current one.
    record.guard_failures = p.guard_failures + (p.specialised ? state.guard_failures : 0);
    record.specialisations = p.specialisations;
    record.respecialisations = p.respecialisations;
    record.spec_backoffs = p.spec_backoffs;
    for (u32 a = 0; a < snapshot::saved_arguments; ++a)
        record.arguments[a] = snapshot::SavedArgument { state.arguments[a].value, state.arguments[a].hits,
                                                        state.arguments[a].misses };
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

ErrorOr<u32> save_snapshot(LoadedModule& slot, bool report_left_out)
{
    if (!slot.has_environment)
        return Error::NotSupported;
    const Module& m = *slot.module;
    const ModuleInstance& instance = *slot.instance;
    JitInstance& jit = *slot.jit;
    u32 count = m.function_count;

    // Walk every blob first: the size of the file depends on it.
    auto* prepared = static_cast<Prepared*>(kzalloc(sizeof(Prepared) * 2 * count));
    auto* entries = static_cast<u8*>(kzalloc(count));
    if (!prepared || !entries) {
        kfree(prepared);
        kfree(entries);
        return Error::OutOfMemory;
    }
    u32 size = sizeof(snapshot::Header) + sizeof(snapshot::Regions) + 4 * m.buffer_count
        + sizeof(snapshot::FunctionRecord) * count;
    u32 code_count = 0;
    for (u32 f = 0; f < count; ++f) {
        entries[f] = static_cast<u8>(prepare(slot, f, prepared + 2 * f, report_left_out));
        for (u32 k = 0; k < entries[f]; ++k) {
            const Prepared& blob = prepared[2 * f + k];
            size += sizeof(snapshot::CodeEntry) + sizeof(snapshot::Relocation) * blob.relocation_count + align4(blob.blob.size);
        }
        code_count += entries[f];
    }

    u8* file = static_cast<u8*>(kzalloc(size));
    if (!file) {
        for (u32 i = 0; i < 2 * count; ++i)
            free_code_walk(prepared[i].walk);
        kfree(prepared);
        kfree(entries);
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
    header->regions_offset = sizeof(snapshot::Header);
    header->profiles_offset = header->regions_offset + sizeof(snapshot::Regions) + 4 * m.buffer_count;
    header->code_offset = header->profiles_offset + sizeof(snapshot::FunctionRecord) * count;

    const NativeEnvironment& env = slot.environment;
    snapshot::RegionMap regions(instance, &jit, env.stubs, env.states, nullptr, 0);
    auto* region_sizes = reinterpret_cast<snapshot::Regions*>(file + header->regions_offset);
    regions.sizes(*region_sizes);
    u32* buffer_sizes = reinterpret_cast<u32*>(region_sizes + 1);
    for (u32 b = 0; b < m.buffer_count; ++b)
        buffer_sizes[b] = regions.buffer_size(b);

    auto* records = reinterpret_cast<snapshot::FunctionRecord*>(file + header->profiles_offset);
    u8* cursor = file + header->code_offset;
    for (u32 f = 0; f < count; ++f) {
        write_record(slot, f, entries[f], records[f]);
        for (u32 k = 0; k < entries[f]; ++k) {
            cursor = write_code_entry(slot, f, prepared[2 * f + k], cursor);
            free_code_walk(prepared[2 * f + k].walk);
        }
    }
    kfree(prepared);
    kfree(entries);
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
