// The break handler the input drivers call (see break_key.h).
#include <kernel/drivers/break_key.h>

static BreakHandler s_handler;

void set_break_handler(BreakHandler handler) { s_handler = handler; }

bool deliver_break(InterruptFrame* frame) { return s_handler && s_handler(frame); }
