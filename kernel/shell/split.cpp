// Splitting a command line into words (see shell.h). Kept apart from the
// shell loop so host tests can check it.
#include <kernel/shell/shell.h>

int shell_split(char* line, char** argv, int max_args)
{
    int argc = 0;
    char* p = line;
    while (*p) {
        while (*p == ' ' || *p == '\t')
            ++p;
        if (!*p)
            break;
        char* out = p;
        char* word = p;
        bool quoted = false;
        while (*p && (quoted || (*p != ' ' && *p != '\t'))) {
            if (*p == '"') {
                quoted = !quoted;
                ++p;
                continue;
            }
            *out++ = *p++;
        }
        bool at_end = !*p;
        *out = 0;
        if (argc < max_args - 1)
            argv[argc++] = word;
        if (at_end)
            break;
        ++p;
    }
    argv[argc] = nullptr;
    return argc;
}
