// mkfs.fat, mtools and fsck.fat from the tests (see fat_tools.h).
#include "fat_tools.h"

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <sys/wait.h>
#include <unistd.h>

namespace fat16::test {

TempDir::TempDir()
{
    const char* base = std::getenv("TMPDIR");
    std::string pattern = std::string(base && *base ? base : "/tmp") + "/bareflow-fat16-XXXXXX";
    std::vector<char> buffer(pattern.begin(), pattern.end());
    buffer.push_back(0);
    if (!mkdtemp(buffer.data()))
        std::abort();
    m_path = buffer.data();
}

TempDir::~TempDir() { run_command("rm -rf " + shell_quote(m_path)); }

std::string shell_quote(const std::string& text)
{
    std::string out = "'";
    for (char c : text) {
        if (c == '\'')
            out += "'\\''";
        else
            out += c;
    }
    return out + "'";
}

CommandResult run_command(const std::string& command)
{
    // UTF-8 so that mtools converts non-ASCII long names the same under any
    // caller locale (under LANG=C it replaces them).
    std::string full = "LC_ALL=C.UTF-8 MTOOLS_SKIP_CHECK=1 " + command + " 2>&1";
    FILE* pipe = popen(full.c_str(), "r");
    if (!pipe)
        return { -1, "popen failed" };
    std::string output;
    char chunk[4096];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, pipe)) > 0)
        output.append(chunk, n);
    int status = pclose(pipe);
    return { WIFEXITED(status) ? WEXITSTATUS(status) : -1, output };
}

CommandResult make_fat16_image(const std::string& path, u32 kib, u32 sectors_per_cluster, u32 fat_count,
    const std::string& label)
{
    std::remove(path.c_str());
    std::ostringstream cmd;
    cmd << "mkfs.fat -F 16 -C -s " << sectors_per_cluster << " -f " << fat_count << " -n " << shell_quote(label)
        << " -i 12345678 " << shell_quote(path) << " " << kib;
    return run_command(cmd.str());
}

CommandResult mcopy_to_image(const std::string& image, const std::string& source, const std::string& dest)
{
    return run_command("mcopy -s -o -i " + shell_quote(image) + " " + source + " " + shell_quote("::/" + dest));
}

CommandResult mtype(const std::string& image, const std::string& path)
{
    return run_command("mtype -i " + shell_quote(image) + " " + shell_quote("::/" + path));
}

CommandResult mcopy_from_image(const std::string& image, const std::string& path, const std::string& dest)
{
    return run_command("mcopy -n -o -i " + shell_quote(image) + " " + shell_quote("::/" + path) + " "
        + shell_quote(dest));
}

FsckReport fsck_image(const std::string& image)
{
    CommandResult r = run_command("fsck.fat -n -V " + shell_quote(image));
    FsckReport report { r.status, r.output, false, {} };
    std::istringstream lines(r.output);
    std::string line;
    while (std::getline(lines, line)) {
        if (line.rfind("fsck.fat ", 0) == 0 || line.rfind("Starting ", 0) == 0 || line.empty())
            continue;
        if (line.find(" files, ") != std::string::npos && line.find(" clusters") != std::string::npos)
            continue; // the closing summary "IMAGE: N files, U/T clusters"
        report.findings.push_back(line);
    }
    report.clean = r.status == 0 && report.findings.empty();
    return report;
}

std::vector<u8> read_file(const std::string& path)
{
    std::ifstream in(path, std::ios::binary);
    return std::vector<u8>((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

void write_file(const std::string& path, const std::vector<u8>& data)
{
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char*>(data.data()), std::streamsize(data.size()));
}

void write_text(const std::string& path, const std::string& text)
{
    write_file(path, std::vector<u8>(text.begin(), text.end()));
}

} // namespace fat16::test
