// The shell's line editor (see line_editor.h). Escape sequences follow ECMA-48
// (CSI = ESC '[', parameters, one final byte); only A and B mean anything
// here, the rest are swallowed whole so they never reach the line. A control
// byte (CR, LF, Ctrl-C, ...) inside an unfinished sequence ends the sequence
// and does its own job, as terminals do, so a stray ESC never eats an Enter.
// A line longer than the limit is refused whole at its end, never cut.
#include <kernel/arch/x86/cpu.h>
#include <kernel/drivers/keyboard.h>
#include <kernel/drivers/serial.h>
#include <kernel/lib/kprintf.h>
#include <kernel/lib/string.h>
#include <kernel/shell/line_editor.h>

namespace {

constexpr usize HISTORY_SIZE = 16;
char s_history[HISTORY_SIZE][LINE_MAX];
usize s_history_count; // lines ever stored; the newest is at (count - 1) % HISTORY_SIZE

// After a CR, one LF is part of the same line end (CRLF); remembered across
// lines because the LF may arrive after the command has run.
bool s_skip_lf;

void (*s_idle_hook)();

enum class EscapeState { None, Escape, Sequence };

void erase_line(usize length)
{
    for (usize i = 0; i < length; ++i)
        kputs("\b \b");
}

void add_history(const char* line)
{
    if (!line[0])
        return;
    if (s_history_count > 0 && string_equals(s_history[(s_history_count - 1) % HISTORY_SIZE], line))
        return;
    copy_string(s_history[s_history_count % HISTORY_SIZE], LINE_MAX, line);
    ++s_history_count;
}

} // namespace

void set_line_idle_hook(void (*hook)()) { s_idle_hook = hook; }

namespace {

// console_read_byte(), calling the idle hook after each wake-up if asked.
u8 wait_for_byte(bool idle)
{
    for (;;) {
        x86::disable_interrupts();
        int byte = serial_read_byte();
        if (byte < 0)
            byte = keyboard_read_byte();
        if (byte >= 0) {
            x86::enable_interrupts();
            return static_cast<u8>(byte);
        }
        // Nothing yet: sleep until the next interrupt (the UART's, the
        // keyboard's or the timer's). STI;HLT cannot miss an IRQ that arrives in between.
        x86::enable_interrupts_and_halt();
        if (idle && s_idle_hook)
            s_idle_hook();
    }
}

} // namespace

u8 console_read_byte() { return wait_for_byte(false); }

usize read_line(char* line)
{
    usize length = 0;
    line[0] = 0;
    // History browsing: 0 = the line being typed, k = the k-th newest entry.
    usize browse = 0;
    EscapeState escape = EscapeState::None;
    usize dropped = 0; // characters past the limit

    for (;;) {
        u8 c = wait_for_byte(length == 0 && escape == EscapeState::None);
        if (escape != EscapeState::None && c < 0x20)
            escape = EscapeState::None; // a control byte ends the sequence and does its job below
        if (escape == EscapeState::Escape) {
            escape = (c == '[' || c == 'O') ? EscapeState::Sequence : EscapeState::None;
            continue;
        }
        if (escape == EscapeState::Sequence) {
            if (c >= 0x40 && c <= 0x7E) { // the final byte
                escape = EscapeState::None;
                usize available = s_history_count < HISTORY_SIZE ? s_history_count : HISTORY_SIZE;
                usize wanted = browse;
                if (c == 'A' && browse < available)
                    wanted = browse + 1;
                else if (c == 'B' && browse > 0)
                    wanted = browse - 1;
                if (wanted != browse) {
                    browse = wanted;
                    erase_line(length);
                    if (browse == 0)
                        line[0] = 0;
                    else
                        copy_string(line, LINE_MAX, s_history[(s_history_count - browse) % HISTORY_SIZE]);
                    length = strlen(line);
                    kputs(line);
                }
            }
            continue; // parameter bytes (digits, ';') are skipped
        }

        bool was_cr = s_skip_lf;
        s_skip_lf = false;
        switch (c) {
        case '\n':
            if (was_cr)
                continue; // the LF of a CRLF
            [[fallthrough]];
        case '\r':
            s_skip_lf = c == '\r';
            kputc('\n');
            if (dropped) {
                kprintf("line too long: %u characters, the limit is %u; not run\n", static_cast<u32>(length + dropped),
                        static_cast<u32>(LINE_MAX - 1));
                line[0] = 0;
                return 0;
            }
            line[length] = 0;
            add_history(line);
            return length;
        case 0x1B:
            escape = EscapeState::Escape;
            continue;
        case 0x08: // BS
        case 0x7F: // DEL, what most terminals send for backspace
            if (dropped > 0) {
                --dropped; // the unseen characters past the limit go first
                continue;
            }
            if (length > 0) {
                line[--length] = 0;
                kputs("\b \b");
            }
            continue;
        case 0x15: // Ctrl-U: erase the whole line
            erase_line(length);
            length = 0;
            dropped = 0;
            line[0] = 0;
            continue;
        case 0x03: // Ctrl-C: abandon the line
            kputs("^C\n");
            line[0] = 0;
            return 0;
        case '\t':
            c = ' ';
            break;
        default:
            break;
        }
        if (c < 0x20 || c > 0x7E)
            continue; // other control bytes and non-ASCII are ignored
        if (length + 1 >= LINE_MAX) {
            ++dropped; // full: counted, not echoed; Enter refuses the line
            continue;
        }
        line[length++] = static_cast<char>(c);
        line[length] = 0;
        kputc(static_cast<char>(c));
    }
}
