// PCI configuration space through configuration mechanism #1 (ports
// 0CF8h/0CFCh; PCI Local Bus Specification 3.0, section 3.2.2.3.2), enough
// to find a controller by class and read its BARs.
#pragma once

#include <bareflow/types.h>

struct PciAddress {
    u8 bus;
    u8 device;
    u8 function;
};

u32 pci_read32(PciAddress address, u8 offset);
void pci_write32(PciAddress address, u8 offset, u32 value);

// Calls `visit` for every function present (vendor ID not FFFFh) on every
// bus, with its class code, subclass and programming interface; stops
// early when `visit` returns true.
using PciVisitor = bool (*)(PciAddress address, u8 class_code, u8 subclass, u8 prog_if, void* context);
void pci_for_each_function(PciVisitor visit, void* context);
