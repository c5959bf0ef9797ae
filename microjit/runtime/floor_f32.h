// floor for f32, the routine behind `floor.f32` at every tier. It is exact
// (floor of a float is a float), so any correct method gives the same bits;
// the one routine keeps every tier on the same code, by integer operations on
// the bit pattern and no rounding-mode change or SSE4.1 ROUNDSS.
// Special values: NaN -> NaN (quieted), +-inf and +-0 unchanged,
// -1 < x < 0 -> -1, 0 < x < 1 -> +0.
#pragma once

#include <bareflow/types.h>

f32 floor_f32(f32 x);
