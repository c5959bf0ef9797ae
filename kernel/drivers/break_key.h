// Ctrl-C as an interrupt, not only as input. The serial and keyboard
// drivers offer each Ctrl-C to the break handler from their interrupt
// handlers, so that it can act at once while a module call runs
// (kernel/jit/running_call.cpp). When the handler acts, the byte is
// consumed; otherwise it is queued as input, and the line editor abandons
// the line being typed.
#pragma once

struct InterruptFrame;

// `frame` is the interrupted context, or nullptr when a driver polls
// outside an interrupt. Returns true when it acted on the key.
using BreakHandler = bool (*)(InterruptFrame* frame);

void set_break_handler(BreakHandler);
bool deliver_break(InterruptFrame* frame);
