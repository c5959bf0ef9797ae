// The JIT snapshot file, /JIT/NAME.SNP: one module's native code and
// profile, so the next boot starts hot. docs/snapshot-format.md describes
// every byte; the structs below are that layout (little-endian, packed).
//
//   Header          96 bytes
//   Regions         32 bytes + 4 per module buffer (the sizes of the memory
//                   regions the code embeds addresses of)
//   FunctionRecord  104 bytes per function of the module (the profile:
//                   counters, specialisation, argument profiles)
//   code entries    CodeEntry (16 bytes), its relocations (12 bytes each),
//                   its code, zero-padded to 4 bytes; code_count of them (a
//                   specialised function has two: its generic code, then
//                   its specialised code)
#pragma once

#include <bareflow/types.h>

namespace snapshot {

inline constexpr u8 magic[4] = { 'S', 'N', 'A', 'P' };
// 2: relocations name a region for every absolute address the code embeds,
// so code loads into any layout (version 1 only ran in the same layout).
// 3: specialised code with its generic code, and the specialisation profile
// (the folded values, guard failures, argument profiles).
inline constexpr u16 format_version = 3;
inline constexpr const char* directory = "/JIT";

struct [[gnu::packed]] Header {
    u8 magic[4];          // "SNAP"
    u16 format_version;   // format_version
    u16 header_size;      // 96
    u32 file_size;        // bytes in the whole file
    u32 crc32;            // CRC-32 (IEEE) of the whole file with this field zero
    u64 module_hash;      // the module's content hash (its .BFM header, FNV-1a 64)
    u64 jit_version;      // FNV-1a 64 of the kernel's text and read-only data
    u32 cpu_features;     // CpuFeature bits of the CPU the code was made on
    u32 boot_count;       // the boot it was saved in (information only)
    char module_name[20]; // NUL-padded
    u32 function_count;   // the module's function count (FunctionRecords)
    u32 code_count;       // code entries
    u32 buffer_count;     // module buffers (Regions' buffer sizes)
    u32 regions_offset;   // from the start of the file
    u32 profiles_offset;
    u32 code_offset;
    u32 reserved[3];      // zero
};
static_assert(sizeof(Header) == 96);

// The memory regions compiled code embeds absolute addresses of, by their
// size in the saving boot (tier code is compiled per instance; see
// microjit/jit/native_abi.h, NativeEnvironment). Each must be the same size
// in the loading instance; where they are does not matter, since every
// address is rebased (Relocation).
struct [[gnu::packed]] Regions {
    u32 instance_size;   // region Instance: the ModuleInstance
    u32 allocation_size; // region InstanceAllocation: its block (dispatch table, counters, ...)
    u32 jit_size;        // region Jit: the JitInstance (helpers' first argument)
    u32 states_size;     // region States: the NativeFunctionState array
    u32 stubs_size;      // region Stubs: the NativeStubs table (trap exits)
    u32 reserved[3];     // zero
    // followed by buffer_count u32: each buffer's size in bytes (regions Buffer + b)
};
static_assert(sizeof(Regions) == 32);

// What a relocation's field holds an address of.
enum Region : u16 {
    RegionRuntime = 0,            // a rel32 branch out of the blob; value is its absolute target
    RegionCode = 1,               // this blob (its constants)
    RegionInstance = 2,
    RegionInstanceAllocation = 3,
    RegionJit = 4,
    RegionStates = 5,
    RegionStubs = 6,
    RegionBuffer = 16,            // + the buffer's index
};

// One parameter's ArgumentProfile (microjit/jit/native_abi.h), as saved.
struct [[gnu::packed]] SavedArgument {
    i32 value;
    u32 hits;
    u32 misses;
};
static_assert(sizeof(SavedArgument) == 12);

inline constexpr u32 saved_arguments = 4; // max_profiled_arguments when format 3 was made

enum FunctionFlags : u8 {
    FunctionSpecialised = 1 << 0, // its code entries are generic + specialised code
    FunctionSpecGivenUp = 1 << 1, // specialisation given up: generic tier 2 for good
};

struct [[gnu::packed]] FunctionRecord {
    u32 calls;            // every tier together
    u32 loop_iterations;
    u8 tier;              // the tier running it when saved
    u8 code_entries;      // code entries that follow for it: 0, 1, or 2 when specialised
    u16 compiles;         // JIT compiles in the saving boot (information only)
    u8 flags;             // FunctionFlags
    u8 spec_mask;         // Specialisation::mask: parameters folded in (0 unless specialised)
    u16 reserved;         // zero
    i32 spec_values[saved_arguments]; // Specialisation::values (zero where the mask has no bit)
    u64 guard_failures;   // calls the guard sent to the generic code, all windows together
    u32 specialisations;  // specialised blocks compiled
    u32 respecialisations;
    u32 spec_backoffs;
    u32 reserved2;        // zero
    SavedArgument arguments[saved_arguments]; // NativeFunctionState::arguments
};
static_assert(sizeof(FunctionRecord) == 104);

// What a code entry's code is for its function.
enum CodeKind : u8 {
    CodeInstalled = 0,   // the function's code (not specialised)
    CodeGeneric = 1,     // generic tier-2 code: a specialised function's guard falls back to it
    CodeSpecialised = 2, // specialised tier-2 code, entered through the dispatch table; follows its CodeGeneric entry
};

struct [[gnu::packed]] CodeEntry {
    u32 function;
    u8 tier;
    u8 isa;               // CodeIsa the code was compiled for (0: not recorded, taken as SSE2)
    u8 kind;              // CodeKind
    u8 reserved;          // zero
    u32 code_size;
    u32 relocation_count; // Relocations that follow, ascending by offset
};
static_assert(sizeof(CodeEntry) == 16);

// A 4-byte field of the code that depends on where things are. Region 0: a
// rel32 branch leaving the blob to the absolute `value` (a runtime helper or
// stub). Otherwise an absolute address `value` bytes into `region`; the
// field is stored as zero in the file and written at load.
struct [[gnu::packed]] Relocation {
    u32 offset;   // of the field within the code
    u16 region;   // Region
    u16 reserved; // zero
    u32 value;
};
static_assert(sizeof(Relocation) == 12);

enum CpuFeature : u32 {
    CPU_SSE3 = 1u << 0,
    CPU_SSSE3 = 1u << 1,
    CPU_SSE41 = 1u << 2,
    CPU_SSE42 = 1u << 3,
    CPU_POPCNT = 1u << 4,
    CPU_AVX = 1u << 5,
    CPU_AVX2 = 1u << 6,
    CPU_FMA = 1u << 7,
    CPU_BMI1 = 1u << 8,
    CPU_BMI2 = 1u << 9,
    CPU_AVX_ENABLED = 1u << 16, // the kernel turned AVX state on (XCR0)
};

// The key of the running system.
u64 current_jit_version();
u32 current_cpu_features();

} // namespace snapshot
