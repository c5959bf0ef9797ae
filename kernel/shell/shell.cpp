// The shell loop and command dispatch. Commands register themselves with
// SHELL_COMMAND (command.h); this file only finds and calls them.
#include <kernel/lib/kprintf.h>
#include <kernel/lib/string.h>
#include <kernel/shell/command.h>
#include <kernel/shell/line_editor.h>
#include <kernel/shell/shell.h>

extern "C" const ShellCommand __shell_commands_start[];
extern "C" const ShellCommand __shell_commands_end[];

constexpr int MAX_ARGS = 32;
constexpr const char* PROMPT = "bf> ";

const ShellCommand* shell_commands_begin() { return __shell_commands_start; }
const ShellCommand* shell_commands_end() { return __shell_commands_end; }

const ShellCommand* find_shell_command(const char* name)
{
    for (auto* c = shell_commands_begin(); c != shell_commands_end(); ++c) {
        if (string_equals(c->name, name))
            return c;
    }
    return nullptr;
}

void shell_execute(char* line)
{
    char* argv[MAX_ARGS];
    int argc = shell_split(line, argv, MAX_ARGS);
    if (argc == 0)
        return;
    const ShellCommand* command = find_shell_command(argv[0]);
    if (!command) {
        kprintf("unknown command: '%s' (type 'help' for the list of commands)\n", argv[0]);
        return;
    }
    auto result = command->handler(argc, argv);
    if (result.is_error()) {
        kprintf("%s: %s\n", command->name, error_message(result.error()));
        if (result.error() == Error::BadArguments)
            kprintf("usage: %s\n", command->usage);
    }
}

void shell_run()
{
    static char line[LINE_MAX];
    for (;;) {
        kputs(PROMPT);
        read_line(line);
        shell_execute(line);
    }
}
