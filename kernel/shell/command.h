// Shell commands registered from anywhere in the kernel, without a central
// list.
//
// A subsystem adds a command in its own file:
//
//     #include <kernel/shell/command.h>
//     #include <kernel/lib/kprintf.h>
//
//     static ErrorOr<void> cmd_ls(int argc, char** argv)
//     {
//         if (argc > 2)
//             return Error::BadArguments;          // shell prints the usage line
//         TRY(list_directory(argc == 2 ? argv[1] : "/"));
//         return {};
//     }
//     SHELL_COMMAND("ls", "ls [path]", "list a directory of the boot volume", cmd_ls);
//
// The shell splits a line at spaces and tabs (double quotes group words),
// finds the command by argv[0], and calls the handler. argv[argc] is nullptr;
// the strings are writable and live until the handler returns.
// If the handler returns an error the shell prints
//     ls: no such file or directory
// and, for Error::BadArguments, also "usage: ls [path]". `help` lists every
// registered command, sorted by name, with its help text.
#pragma once

#include <bareflow/error_or.h>
#include <bareflow/types.h>

using ShellHandler = ErrorOr<void> (*)(int argc, char** argv);

struct ShellCommand {
    const char* name;  // the word typed at the prompt
    const char* usage; // e.g. "ls [path]"
    const char* help;  // one line for `help`
    ShellHandler handler;
};

#define SHELL_COMMAND_CONCAT_(a, b) a##b
#define SHELL_COMMAND_CONCAT(a, b) SHELL_COMMAND_CONCAT_(a, b)

// Places a ShellCommand in the .shell_commands section; linker.ld collects the
// section between __shell_commands_start and __shell_commands_end.
#define SHELL_COMMAND(name, usage, help, handler)                                             \
    [[gnu::used, gnu::section(".shell_commands"), gnu::aligned(4)]] static const ShellCommand \
        SHELL_COMMAND_CONCAT(shell_command_, __COUNTER__) = { (name), (usage), (help), (handler) }

// The registered commands, in link order (for tools such as `help`).
const ShellCommand* shell_commands_begin();
const ShellCommand* shell_commands_end();

// Looks a command up by name; nullptr when there is none.
const ShellCommand* find_shell_command(const char* name);
