// Command-line splitting (kernel/shell/split.cpp).
#include <kernel/shell/shell.h>

#include <gtest/gtest.h>
#include <string>
#include <vector>

static std::vector<std::string> split(const char* text, int max_args = 32)
{
    std::string buffer(text);
    std::vector<char> line(buffer.begin(), buffer.end());
    line.push_back(0);
    std::vector<char*> argv(static_cast<size_t>(max_args));
    int argc = shell_split(line.data(), argv.data(), max_args);
    EXPECT_EQ(argv[static_cast<size_t>(argc)], nullptr);
    return { argv.begin(), argv.begin() + argc };
}

using Words = std::vector<std::string>;

TEST(ShellSplit, WordsAtSpacesAndTabs) { EXPECT_EQ(split("  ls \t -l   /MODULES "), (Words { "ls", "-l", "/MODULES" })); }

TEST(ShellSplit, EmptyAndBlankLines)
{
    EXPECT_EQ(split(""), Words {});
    EXPECT_EQ(split(" \t  "), Words {});
}

TEST(ShellSplit, QuotesGroupWordsAndAreRemoved)
{
    EXPECT_EQ(split("write \"A B.TXT\" hello world"), (Words { "write", "A B.TXT", "hello", "world" }));
    EXPECT_EQ(split("echo a\"b c\"d"), (Words { "echo", "ab cd" }));
    EXPECT_EQ(split("x \"\""), (Words { "x", "" }));
    EXPECT_EQ(split("x \"unterminated quote"), (Words { "x", "unterminated quote" }));
}

TEST(ShellSplit, KeepsAtMostMaxArgsMinusOneWords)
{
    EXPECT_EQ(split("a b c d e", 4), (Words { "a", "b", "c" }));
}
