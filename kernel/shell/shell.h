// The serial shell: prompt "bf> ", read a line, run the command, repeat.
#pragma once

[[noreturn]] void shell_run();

// Splits `line` in place at spaces and tabs (double quotes group words and
// are removed). Returns argc; argv[argc] = nullptr. At most `max_args - 1`
// words are kept.
int shell_split(char* line, char** argv, int max_args);

// Runs one command line (used by shell_run, and available to other code,
// e.g. a start-up script).
void shell_execute(char* line);
