// What kernel_main() asks of the start-up files around the banner: the text
// appended to "BareFlow <version> ready" (the boot count), and the start-up
// script run after it, before the first interactive prompt.
#pragma once

// " (boot N)", or "" when the boot volume could not keep a count.
const char* boot_banner_suffix();

// Runs /AUTORUN.TXT from the boot volume line by line, if it exists.
void run_autorun_script();

// The number of this boot, or 0 when the volume keeps no count.
unsigned current_boot_count();
