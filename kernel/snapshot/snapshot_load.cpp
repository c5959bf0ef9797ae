// Loading snapshots (docs/snapshot-format.md, "Loading"). Nothing from the
// file runs unless every check passes, in this order:
//   1. the format: size, magic, version, header size, file_size = bytes read;
//   2. the CRC-32 over the whole file;
//   3. the key: module content hash, JIT version, CPU feature set;
//   4. the structure: function and buffer counts match the module, every
//      offset and length stays inside the file, reserved fields are zero;
//      each function record's specialisation names only profiled i32
//      parameters, and its code entries are its code alone or its generic
//      code followed by its specialised code (never specialised code alone,
//      whose guard would jump through a null pointer);
//   5. the regions: each memory region the code refers to has the size it
//      had when saved (where it is does not matter: addresses are rebased);
//   6. each code blob: the length decoder walks it cleanly to its end;
//      every branch lands on an instruction start inside the blob, or is a
//      rel32 with a runtime relocation whose target is in the runtime stubs
//      or the kernel's text (the helpers); every other relocation names a
//      region of this module, points inside it, and lies within one
//      instruction, clear of the branches and of the other relocations; no
//      relocation is left unused.
// Only then are the counters restored and the blobs installed through the
// dispatch table (compile_tracker.h), each address rebased into the running
// instance: a specialised function's generic code first, then its
// specialised code in front of it, and last the specialisation profile
// (JitInstance::restore_specialisation_profile).
//   7. at install, each function is compiled again with the saved decisions
//      (tier, ISA, specialisation) and must give the relocated bytes
//      exactly; what runs is that fresh code. So code from disk runs only
//      if this kernel would have produced it: a checked but altered blob is
//      refused, however valid its CRC and its instructions.
// Any failure prints one line with the reason and the module runs from
// tier 0 as if there were no snapshot.
#include <kernel/fs/boot_volume.h>
#include <kernel/snapshot/code_walk.h>
#include <kernel/snapshot/compile_tracker.h>
#include <kernel/jit/module_files.h>
#include <kernel/snapshot/snapshot.h>
#include <kernel/snapshot/snapshot_format.h>
#include <kernel/snapshot/snapshot_regions.h>
#include <kernel/lib/format.h>
#include <kernel/lib/kprintf.h>
#include <kernel/lib/string.h>
#include <kernel/mm/heap.h>
#include <kernel/time/clock.h>
#include <microjit/runtime/crc32.h>

extern "C" u8 __kernel_start[];
extern "C" u8 __init_array_start[];

namespace {

static_assert(snapshot::saved_arguments == max_profiled_arguments);

constexpr u32 align4(u32 n) { return (n + 3) & ~3u; }
constexpr u32 max_snapshot = 8u << 20;

Error fail(Error error, char* why, usize size, const char* format, ...) __attribute__((format(printf, 4, 5)));
Error fail(Error error, char* why, usize size, const char* format, ...)
{
    va_list args;
    va_start(args, format);
    vformat_to(why, size, format, args);
    va_end(args);
    return error;
}

bool allowed_target(u32 target)
{
    const NativeStubs& stubs = jit_runtime().stubs();
    u32 block = reinterpret_cast<u32>(stubs.block);
    u32 block_size = stubs.block ? static_cast<u32>(jit_pools().code.block_size(stubs.block)) : 0;
    if (target >= block && target - block < block_size)
        return true;
    return target >= reinterpret_cast<u32>(__kernel_start) && target < reinterpret_cast<u32>(__init_array_start);
}

// Check 6 for one absolute-address relocation of a blob.
Error check_absolute(const snapshot::CodeEntry& entry, const snapshot::Relocation& r, const CodeWalk& walk,
                     const snapshot::RegionMap& regions, char* why, usize size)
{
    char name[24];
    snapshot::region_name(r.region, name, sizeof(name));
    // Sizes only: the blob's own region is the code entry, and the state
    // array's place is not known before the first install.
    u32 base, region_size;
    snapshot::Regions sizes;
    regions.sizes(sizes);
    if (r.region == snapshot::RegionCode)
        region_size = entry.code_size;
    else if (r.region == snapshot::RegionStates)
        region_size = sizes.states_size;
    else if (!regions.locate(r.region, base, region_size))
        return fail(Error::SnapshotBadCode, why, size, "function %u: relocation at +0x%x names %s, which this module does not have",
                    entry.function, r.offset, name);
    if (r.value >= region_size)
        return fail(Error::SnapshotBadCode, why, size, "function %u: relocation at +0x%x points 0x%x bytes into %s, which has 0x%x",
                    entry.function, r.offset, r.value, name, region_size);
    if (r.offset + 4ull > entry.code_size)
        return fail(Error::SnapshotBadCode, why, size, "function %u: relocation at +0x%x runs past the code", entry.function,
                    r.offset);
    for (u32 k = 0; k < 4; ++k) {
        if (is_instruction_start(walk, r.offset + k))
            return fail(Error::SnapshotBadCode, why, size, "function %u: relocation at +0x%x covers the start of an instruction",
                        entry.function, r.offset);
    }
    for (u32 k = 0; k < walk.branch_count; ++k) {
        const BranchSite& b = walk.branches[k];
        if (b.field_offset < r.offset + 4 && r.offset < b.field_offset + b.field_size)
            return fail(Error::SnapshotBadCode, why, size, "function %u: relocation at +0x%x overlaps a branch", entry.function,
                        r.offset);
    }
    return Error::Ok;
}

// Check 6 for one blob.
Error check_blob(const snapshot::CodeEntry& entry, const snapshot::Relocation* relocations, const u8* code,
                 const snapshot::RegionMap& regions, char* why, usize size)
{
    for (u32 i = 0; i < entry.relocation_count; ++i) {
        if (relocations[i].reserved || (i && relocations[i].offset < relocations[i - 1].offset + 4))
            return fail(Error::SnapshotBadCode, why, size, "function %u: relocations out of order, overlapping or malformed",
                        entry.function);
    }
    CodeWalk walk;
    auto walked = walk_code(code, entry.code_size, walk);
    if (walked.is_error()) {
        Error e = fail(Error::SnapshotBadCode, why, size, "function %u: instruction at +0x%x does not decode (%s)",
                       entry.function, walk.bad_offset, error_message(walked.error()));
        free_code_walk(walk);
        return e;
    }
    Error result = Error::Ok;
    // Every branch leaving the blob has a runtime relocation at its field;
    // both lists are in ascending field order.
    u32 next = 0, used = 0;
    auto next_runtime = [&]() {
        while (next < entry.relocation_count && relocations[next].region != snapshot::RegionRuntime)
            ++next;
    };
    next_runtime();
    for (u32 i = 0; i < walk.branch_count && result == Error::Ok; ++i) {
        const BranchSite& b = walk.branches[i];
        if (b.target >= 0 && b.target < static_cast<i64>(entry.code_size)) {
            if (!is_instruction_start(walk, static_cast<u32>(b.target)))
                result = fail(Error::SnapshotBadCode, why, size, "function %u: branch at +0x%x lands inside an instruction",
                              entry.function, b.field_offset);
            continue;
        }
        if (b.field_size != 4 || next == entry.relocation_count || relocations[next].offset != b.field_offset) {
            result = fail(Error::SnapshotBadCode, why, size, "function %u: branch at +0x%x leaves the code without a relocation",
                          entry.function, b.field_offset);
            continue;
        }
        if (!allowed_target(relocations[next].value))
            result = fail(Error::SnapshotBadCode, why, size, "function %u: relocation at +0x%x targets %#x, outside the runtime",
                          entry.function, b.field_offset, relocations[next].value);
        ++next;
        ++used;
        next_runtime();
    }
    u32 runtime = 0;
    for (u32 i = 0; i < entry.relocation_count && result == Error::Ok; ++i) {
        if (relocations[i].region == snapshot::RegionRuntime)
            ++runtime;
        else
            result = check_absolute(entry, relocations[i], walk, regions, why, size);
    }
    if (result == Error::Ok && used != runtime)
        result = fail(Error::SnapshotBadCode, why, size, "function %u: %u relocation%s match no branch", entry.function,
                      runtime - used, runtime - used == 1 ? "" : "s");
    free_code_walk(walk);
    return result;
}

// Check 4 for the function records: reserved fields zero, known flags,
// and a specialisation only of parameters the JIT profiles, with its two
// code entries.
Error check_records(const u8* data, const snapshot::Header& h, const Module& m, u64& entries, char* why, usize size)
{
    auto* records = reinterpret_cast<const snapshot::FunctionRecord*>(data + h.profiles_offset);
    entries = 0;
    for (u32 f = 0; f < h.function_count; ++f) {
        snapshot::FunctionRecord r;
        memcpy(&r, records + f, sizeof(r));
        bool specialised = r.flags & snapshot::FunctionSpecialised;
        if (r.reserved || r.reserved2 || (r.flags & ~(snapshot::FunctionSpecialised | snapshot::FunctionSpecGivenUp))
            || r.tier > max_tier || r.code_entries > 2)
            return fail(Error::SnapshotCorrupt, why, size, "function record %u is malformed", f);
        if (specialised != (r.spec_mask != 0) || specialised != (r.code_entries == 2))
            return fail(Error::SnapshotCorrupt, why, size,
                        "function %u: its specialisation does not match its code entries (mask %#x, %u entries)", f,
                        r.spec_mask, r.code_entries);
        for (u32 a = 0; a < 8; ++a) {
            bool folded = (r.spec_mask >> a) & 1;
            if (folded && !is_profiled_parameter(m.functions[f], a))
                return fail(Error::SnapshotCorrupt, why, size,
                            "function %u: specialised on parameter %u, which is not a profiled i32", f, a);
            if (!folded && a < snapshot::saved_arguments && r.spec_values[a])
                return fail(Error::SnapshotCorrupt, why, size, "function record %u is malformed", f);
        }
        entries += r.code_entries;
    }
    return Error::Ok;
}

// Check 4 for the order of the code entries: ascending by function, one
// group per function: its code alone, or its generic code followed by its
// specialised code (never specialised code alone: its guard jumps to the
// generic code).
Error check_entry_order(const snapshot::CodeEntry& entry, const snapshot::FunctionRecord& record, i64& previous,
                        bool& generic_open, char* why, usize size)
{
    u32 f = entry.function;
    if (entry.kind == snapshot::CodeSpecialised) {
        if (!generic_open || previous != f)
            return fail(Error::SnapshotBadCode, why, size, "function %u: specialised code without its generic code", f);
        generic_open = false;
    } else {
        if (generic_open)
            return fail(Error::SnapshotBadCode, why, size, "function %u: generic code without the specialised code it backs",
                        static_cast<u32>(previous));
        if (static_cast<i64>(f) <= previous)
            return fail(Error::SnapshotBadCode, why, size, "code entries out of order at function %u", f);
        generic_open = entry.kind == snapshot::CodeGeneric;
        previous = f;
    }
    bool paired = entry.kind != snapshot::CodeInstalled;
    if (paired != (record.code_entries == 2) || (paired && entry.tier != 2))
        return fail(Error::SnapshotBadCode, why, size, "function %u: code entry of kind %u does not match its record", f,
                    entry.kind);
    return Error::Ok;
}

} // namespace

ErrorOr<void> check_snapshot(const u8* data, u32 size, const LoadedModule* slot, char* why, usize why_size)
{
    why[0] = 0;
    using snapshot::Header;
    if (size < 4 || memcmp(data, snapshot::magic, 4) != 0)
        return fail(Error::SnapshotBadMagic, why, why_size, "the file does not start with \"SNAP\"");
    if (size < sizeof(Header))
        return fail(Error::SnapshotTruncated, why, why_size, "%u bytes, shorter than the %u-byte header", size,
                    static_cast<u32>(sizeof(Header)));
    Header h;
    memcpy(&h, data, sizeof(h));
    // The format version is part of the key: another one was written by
    // another kernel.
    if (h.format_version != snapshot::format_version)
        return fail(Error::SnapshotJitChanged, why, why_size, "format version %u; this kernel reads version %u",
                    h.format_version, snapshot::format_version);
    if (h.header_size != sizeof(Header))
        return fail(Error::SnapshotCorrupt, why, why_size, "header of %u bytes; version %u has %u", h.header_size,
                    snapshot::format_version, static_cast<u32>(sizeof(Header)));
    if (h.file_size != size)
        return fail(size < h.file_size ? Error::SnapshotTruncated : Error::SnapshotCorrupt, why, why_size,
                    "the header says %u bytes, the file has %u", h.file_size, size);
    u8 zero[4] = {};
    u32 crc = crc32_update(crc32_update(crc32(data, 12), zero, 4), data + 16, size - 16);
    if (crc != h.crc32)
        return fail(Error::SnapshotBadChecksum, why, why_size, "CRC-32 is %#x, the file's bytes give %#x", h.crc32, crc);
    if (h.jit_version != snapshot::current_jit_version())
        return fail(Error::SnapshotJitChanged, why, why_size, "JIT version %016llx, this kernel is %016llx", h.jit_version,
                    snapshot::current_jit_version());
    if (h.cpu_features != snapshot::current_cpu_features())
        return fail(Error::SnapshotCpuChanged, why, why_size, "made for CPU features %#x, this CPU has %#x", h.cpu_features,
                    snapshot::current_cpu_features());
    if (!slot)
        return {};
    const Module& m = *slot->module;
    if (h.module_hash != m.content_hash)
        return fail(Error::SnapshotModuleChanged, why, why_size, "module hash %016llx, %s is now %016llx", h.module_hash,
                    slot->file_name, m.content_hash);

    // 4. Structure.
    if (h.function_count != m.function_count || h.buffer_count != m.buffer_count || h.code_count > 2ull * h.function_count
        || h.reserved[0] || h.reserved[1] || h.reserved[2])
        return fail(Error::SnapshotCorrupt, why, why_size, "counts do not match the module");
    u64 regions_end = static_cast<u64>(h.regions_offset) + sizeof(snapshot::Regions) + 4ull * h.buffer_count;
    u64 profiles_end = static_cast<u64>(h.profiles_offset) + sizeof(snapshot::FunctionRecord) * static_cast<u64>(h.function_count);
    if (h.regions_offset < sizeof(Header) || regions_end > h.profiles_offset || profiles_end > h.code_offset || h.code_offset > size)
        return fail(Error::SnapshotCorrupt, why, why_size, "section offsets out of order or out of the file");

    // 5. Regions: the same sizes as in this instance.
    snapshot::RegionMap regions(*slot->instance, slot->jit, &jit_runtime().stubs(), nullptr, nullptr, 0);
    snapshot::Regions saved, now;
    memcpy(&saved, data + h.regions_offset, sizeof(saved));
    regions.sizes(now);
    if (saved.reserved[0] || saved.reserved[1] || saved.reserved[2])
        return fail(Error::SnapshotCorrupt, why, why_size, "reserved fields of the regions are not zero");
    const char* differs = saved.instance_size != now.instance_size ? "instance"
        : saved.allocation_size != now.allocation_size              ? "instance allocation"
        : saved.jit_size != now.jit_size                            ? "jit"
        : saved.states_size != now.states_size                      ? "states"
        : saved.stubs_size != now.stubs_size                        ? "stubs"
                                                                    : nullptr;
    for (u32 b = 0; b < h.buffer_count && !differs; ++b) {
        u32 bytes;
        memcpy(&bytes, data + h.regions_offset + sizeof(saved) + 4 * b, 4);
        if (bytes != regions.buffer_size(b))
            differs = "a buffer";
    }
    if (differs)
        return fail(Error::SnapshotLayoutChanged, why, why_size, "%s has another size in the snapshot", differs);

    u64 recorded_entries = 0;
    Error records = check_records(data, h, m, recorded_entries, why, why_size);
    if (records != Error::Ok)
        return records;

    // 6. Code entries.
    auto* record = reinterpret_cast<const snapshot::FunctionRecord*>(data + h.profiles_offset);
    u32 at = h.code_offset;
    i64 previous = -1;
    bool generic_open = false;
    for (u32 i = 0; i < h.code_count; ++i) {
        snapshot::CodeEntry entry;
        if (size - at < sizeof(entry))
            return fail(Error::SnapshotCorrupt, why, why_size, "code entry %u runs past the end of the file", i);
        memcpy(&entry, data + at, sizeof(entry));
        u64 end = static_cast<u64>(at) + sizeof(entry) + sizeof(snapshot::Relocation) * static_cast<u64>(entry.relocation_count)
            + align4(entry.code_size);
        if (entry.function >= h.function_count || entry.tier == 0 || entry.tier > max_tier || entry.code_size == 0
            || entry.isa > static_cast<u8>(CodeIsa::Avx2) || entry.kind > snapshot::CodeSpecialised || entry.reserved
            || end > size)
            return fail(Error::SnapshotCorrupt, why, why_size, "code entry %u is malformed", i);
        Error order = check_entry_order(entry, record[entry.function], previous, generic_open, why, why_size);
        if (order != Error::Ok)
            return order;
        auto* relocations = reinterpret_cast<const snapshot::Relocation*>(data + at + sizeof(entry));
        const u8* code = data + at + sizeof(entry) + sizeof(snapshot::Relocation) * entry.relocation_count;
        Error e = check_blob(entry, relocations, code, regions, why, why_size);
        if (e != Error::Ok)
            return e;
        at = static_cast<u32>(end);
    }
    if (generic_open)
        return fail(Error::SnapshotBadCode, why, why_size, "function %u: generic code without the specialised code it backs",
                    static_cast<u32>(previous));
    // Each entry matched its own record; together they are all the records name.
    if (recorded_entries != h.code_count)
        return fail(Error::SnapshotCorrupt, why, why_size, "the function records name %llu code entries, the header %u",
                    recorded_entries, h.code_count);
    if (at != size)
        return fail(Error::SnapshotCorrupt, why, why_size, "%u bytes after the last code entry", size - at);
    return {};
}

ErrorOr<void> load_snapshot(LoadedModule& slot, bool report_missing)
{
    char path[32];
    snapshot_path(slot, path, sizeof(path));
    u32 size = 0;
    auto read = read_volume_file(path, size, max_snapshot);
    if (read.is_error()) {
        if (read.error() != Error::FsNotFound || report_missing)
            kprintf("snap: %s not loaded: %s\n", path, error_message(read.error()));
        return read.error();
    }
    u8* data = read.value();
    char why[160];
    auto checked = check_snapshot(data, size, &slot, why, sizeof(why));
    if (checked.is_error()) {
        kprintf("snap: %s ignored: %s (%s)\n", path, error_message(checked.error()), why);
        kfree(data);
        return checked.error();
    }

    snapshot::Header h;
    memcpy(&h, data, sizeof(h));
    auto* records = reinterpret_cast<const snapshot::FunctionRecord*>(data + h.profiles_offset);
    ModuleInstance& instance = *slot.instance;
    // Counters first: the install computes each function's next threshold
    // from them. A function left at tier 0 keeps its count below the tier-1
    // threshold, which the interpreter must still reach to report it.
    for (u32 f = 0; f < h.function_count; ++f) {
        u32 calls = records[f].calls, loops = records[f].loop_iterations;
        if (!records[f].code_entries) {
            if (instance.hot_call_threshold && calls >= instance.hot_call_threshold)
                calls = instance.hot_call_threshold - 1;
            if (instance.hot_loop_threshold && loops >= instance.hot_loop_threshold)
                loops = instance.hot_loop_threshold - 1;
        }
        instance.profiles[f].calls = calls;
        instance.profiles[f].loop_iterations = loops;
    }
    PendingInstall install {};
    u32 at = h.code_offset, installed = 0, specialised = 0;
    u64 install_start = now_ns();
    Error failure = Error::Ok;
    for (u32 i = 0; i < h.code_count; ++i) {
        snapshot::CodeEntry entry;
        memcpy(&entry, data + at, sizeof(entry));
        install.relocations = reinterpret_cast<const snapshot::Relocation*>(data + at + sizeof(entry));
        install.relocation_count = entry.relocation_count;
        install.code = data + at + sizeof(entry) + sizeof(snapshot::Relocation) * entry.relocation_count;
        install.size = entry.code_size;
        install.isa = entry.isa ? static_cast<CodeIsa>(entry.isa) : CodeIsa::Sse2;
        at += sizeof(entry) + sizeof(snapshot::Relocation) * entry.relocation_count + align4(entry.code_size);
        const snapshot::FunctionRecord& record = records[entry.function];
        Specialisation spec {};
        if (entry.kind == snapshot::CodeSpecialised) {
            spec.mask = record.spec_mask;
            for (u32 a = 0; a < snapshot::saved_arguments; ++a)
                spec.values[a] = record.spec_values[a];
        }
        // The generic code goes in first (as a tier-2 compile would put it),
        // then the specialised code in front of it, with its guard's way out.
        auto done = install_native_code(slot, entry.function, entry.tier, install,
                                        entry.kind == snapshot::CodeSpecialised ? &spec : nullptr);
        if (done.is_error()) {
            failure = done.error();
            break;
        }
        if (entry.kind == snapshot::CodeSpecialised)
            ++specialised;
        else
            ++installed;
    }
    // The specialisation profile last: installing specialised code counts a
    // specialisation and starts a window, which the saved state replaces.
    for (u32 f = 0; f < h.function_count; ++f) {
        if (!records[f].code_entries || !slot.jit->profile(f).code)
            continue;
        SpecialisationProfile saved {};
        saved.spec_given_up = records[f].flags & snapshot::FunctionSpecGivenUp;
        saved.specialisations = records[f].specialisations;
        saved.respecialisations = records[f].respecialisations;
        saved.spec_backoffs = records[f].spec_backoffs;
        saved.guard_failures = records[f].guard_failures;
        for (u32 a = 0; a < snapshot::saved_arguments; ++a)
            saved.arguments[a] = ArgumentProfile { records[f].arguments[a].value, records[f].arguments[a].hits,
                                                   records[f].arguments[a].misses };
        slot.jit->restore_specialisation_profile(f, saved);
    }
    kfree(data);
    if (failure != Error::Ok) {
        // Only a code-pool shortage, or relocated code that no longer walks
        // as checked, gets here; the functions installed before it are
        // whole and keep running their code.
        kprintf("snap: %s partly loaded: %u of %u code entries installed, then: %s\n", path, installed + specialised,
                h.code_count, error_message(failure));
        return failure;
    }
    mark_snapshot_current(slot);
    // The install recompiled every entry and compared it with the saved bytes.
    u64 verify_us = (now_ns() - install_start) / 1000;
    kprintf("snap: %s loaded: %u function%s with native code (%u specialised), counters of %u restored (saved at boot %u); "
            "code recompiled and matched in %llu us\n",
            path, installed, installed == 1 ? "" : "s", specialised, h.function_count, h.boot_count, verify_us);
    return {};
}
