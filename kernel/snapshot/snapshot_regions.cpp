// RegionMap (see snapshot_regions.h).
#include <kernel/snapshot/snapshot_regions.h>
#include <kernel/lib/format.h>
#include <kernel/lib/string.h>

namespace snapshot {

RegionMap::RegionMap(const ModuleInstance& instance, const JitInstance* jit, const NativeStubs* stubs,
                     const NativeFunctionState* states, const u8* code, u32 code_size)
    : m_instance(instance)
{
    m_bases[RegionRuntime] = 0;
    m_sizes[RegionRuntime] = 0; // branches are not rebased
    m_bases[RegionCode] = reinterpret_cast<u32>(code);
    m_sizes[RegionCode] = code_size;
    m_bases[RegionInstance] = reinterpret_cast<u32>(&instance);
    m_sizes[RegionInstance] = sizeof(ModuleInstance);
    m_bases[RegionInstanceAllocation] = reinterpret_cast<u32>(instance.allocation);
    m_sizes[RegionInstanceAllocation] = static_cast<u32>(instance.allocation_size);
    m_bases[RegionJit] = reinterpret_cast<u32>(jit);
    m_sizes[RegionJit] = sizeof(JitInstance);
    m_bases[RegionStates] = reinterpret_cast<u32>(states);
    m_sizes[RegionStates] = instance.module->function_count * static_cast<u32>(sizeof(NativeFunctionState));
    m_bases[RegionStubs] = reinterpret_cast<u32>(stubs);
    m_sizes[RegionStubs] = sizeof(NativeStubs);
}

u32 RegionMap::buffer_size(u32 buffer) const { return m_instance.buffers[buffer].length * 4; }

bool RegionMap::find(u32 address, u16& region, u32& offset) const
{
    for (u16 r = RegionCode; r <= RegionStubs; ++r) {
        if (m_bases[r] && address - m_bases[r] < m_sizes[r]) {
            region = r;
            offset = address - m_bases[r];
            return true;
        }
    }
    for (u32 b = 0; b < m_instance.module->buffer_count; ++b) {
        u32 base = reinterpret_cast<u32>(m_instance.buffers[b].base);
        if (address - base < buffer_size(b)) {
            region = static_cast<u16>(RegionBuffer + b);
            offset = address - base;
            return true;
        }
    }
    return false;
}

bool RegionMap::locate(u16 region, u32& base, u32& size) const
{
    if (region >= RegionCode && region <= RegionStubs) {
        base = m_bases[region];
        size = m_sizes[region];
        return base != 0;
    }
    if (region >= RegionBuffer && static_cast<u32>(region - RegionBuffer) < m_instance.module->buffer_count) {
        base = reinterpret_cast<u32>(m_instance.buffers[region - RegionBuffer].base);
        size = buffer_size(region - RegionBuffer);
        return true;
    }
    return false;
}

void RegionMap::sizes(Regions& out) const
{
    memset(&out, 0, sizeof(out));
    out.instance_size = m_sizes[RegionInstance];
    out.allocation_size = m_sizes[RegionInstanceAllocation];
    out.jit_size = m_sizes[RegionJit];
    out.states_size = m_sizes[RegionStates];
    out.stubs_size = m_sizes[RegionStubs];
}

void region_name(u16 region, char* out, usize size)
{
    static constexpr const char* names[] = { "runtime", "code", "instance", "instance allocation", "jit", "states", "stubs" };
    if (region <= RegionStubs)
        copy_string(out, size, names[region]);
    else if (region >= RegionBuffer)
        format_to(out, size, "buffer %u", region - RegionBuffer);
    else
        format_to(out, size, "unknown region %u", region);
}

} // namespace snapshot
