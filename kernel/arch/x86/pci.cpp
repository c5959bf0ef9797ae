// PCI configuration mechanism #1 (see pci.h).
#include <kernel/arch/x86/io.h>
#include <kernel/arch/x86/pci.h>

namespace {

constexpr u16 CONFIG_ADDRESS = 0xCF8;
constexpr u16 CONFIG_DATA = 0xCFC;
constexpr u32 CONFIG_ENABLE = 1u << 31;
constexpr u8 OFFSET_VENDOR = 0x00;
constexpr u8 OFFSET_CLASS = 0x08;       // revision, prog-if, subclass, class (byte 0..3)
constexpr u8 OFFSET_HEADER_TYPE = 0x0C; // byte 2 of this dword; bit 7: multi-function

u32 config_address(PciAddress address, u8 offset)
{
    return CONFIG_ENABLE | (u32(address.bus) << 16) | (u32(address.device) << 11) | (u32(address.function) << 8)
        | (offset & 0xFC);
}

} // namespace

u32 pci_read32(PciAddress address, u8 offset)
{
    x86::outl(CONFIG_ADDRESS, config_address(address, offset));
    return x86::inl(CONFIG_DATA);
}

void pci_write32(PciAddress address, u8 offset, u32 value)
{
    x86::outl(CONFIG_ADDRESS, config_address(address, offset));
    x86::outl(CONFIG_DATA, value);
}

void pci_for_each_function(PciVisitor visit, void* context)
{
    for (u32 bus = 0; bus < 256; ++bus) {
        for (u8 device = 0; device < 32; ++device) {
            for (u8 function = 0; function < 8; ++function) {
                PciAddress address { u8(bus), device, function };
                if ((pci_read32(address, OFFSET_VENDOR) & 0xFFFF) == 0xFFFF) {
                    if (function == 0)
                        break; // no device in this slot
                    continue;
                }
                u32 class_dword = pci_read32(address, OFFSET_CLASS);
                if (visit(address, u8(class_dword >> 24), u8(class_dword >> 16), u8(class_dword >> 8), context))
                    return;
                bool multi_function = (pci_read32(address, OFFSET_HEADER_TYPE) >> 16) & 0x80;
                if (function == 0 && !multi_function)
                    break;
            }
        }
    }
}
