// The memory regions a code blob embeds absolute addresses of (the module's
// instance and its block, the JitInstance, the per-function state array,
// the runtime stubs' table, the module's buffers, the blob itself), located
// in one running environment. Saving turns each address the compiler noted
// into (region, offset); loading turns it back into an address in the
// loading instance, so snapshot code runs in any memory layout
// (docs/snapshot-format.md, "Relocations").
#pragma once

#include <bareflow/types.h>
#include <kernel/jit/jit_system.h>
#include <kernel/snapshot/snapshot_format.h>

namespace snapshot {

class RegionMap {
public:
    // `states` may be nullptr when only sizes are needed (before the first
    // compile an instance's state array is not known to the kernel).
    RegionMap(const ModuleInstance& instance, const JitInstance* jit, const NativeStubs* stubs,
              const NativeFunctionState* states, const u8* code, u32 code_size);

    // The region holding `address` (the first in Region order), false if none.
    bool find(u32 address, u16& region, u32& offset) const;
    // Base and size of `region`; false for a region this module does not have.
    bool locate(u16 region, u32& base, u32& size) const;

    // The sizes a snapshot records (Regions and the buffer sizes after it).
    void sizes(Regions& out) const;
    u32 buffer_size(u32 buffer) const;

private:
    const ModuleInstance& m_instance;
    u32 m_bases[RegionStubs + 1];
    u32 m_sizes[RegionStubs + 1];
};

// "instance allocation", "buffer 3", ...
void region_name(u16 region, char* out, usize size);

} // namespace snapshot
