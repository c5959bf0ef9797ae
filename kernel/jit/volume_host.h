// The kernel's ModuleHost (microjit/module/host.h): a module's file items
// are paths on the boot volume's FAT16 partition (case-insensitive 8.3
// names, '/'-separated, as the shell's file commands take them), and its
// prints go to the console (serial and VGA). Every loaded module's instance
// uses the one host; flowrun's counterpart is tools/host/directory_host.h.
#pragma once

#include <microjit/module/host.h>

ModuleHost& kernel_module_host();
