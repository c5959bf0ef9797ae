// The BareFlow version, printed in the boot banner `BareFlow <version> ready`.
#pragma once

#define BAREFLOW_VERSION "0.1.0"
