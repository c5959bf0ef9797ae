// Reads tests/x86/golden_vectors.txt (written by tools/gen_x86_vectors.py)
// for the golden and decoder tests.
#pragma once

#include <bareflow/types.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <unordered_map>
#include <vector>

struct GoldenVector {
    std::string text;
    std::vector<u8> nasm_bytes;
    std::vector<u32> objdump_lengths;
    std::string objdump_text;
};

inline std::vector<u8> parse_hex(const std::string& hex)
{
    std::vector<u8> bytes;
    for (usize i = 0; i + 1 < hex.size(); i += 2)
        bytes.push_back(static_cast<u8>(std::stoul(hex.substr(i, 2), nullptr, 16)));
    return bytes;
}

inline std::string to_hex(const u8* bytes, usize size)
{
    static const char digits[] = "0123456789abcdef";
    std::string s;
    for (usize i = 0; i < size; ++i) {
        s += digits[bytes[i] >> 4];
        s += digits[bytes[i] & 15];
    }
    return s;
}

inline std::string golden_vectors_path()
{
    const char* root = std::getenv("BAREFLOW_ROOT");
    return std::string(root ? root : ".") + "/tests/x86/golden_vectors.txt";
}

// The vectors in file order; empty if the file cannot be read.
inline std::vector<GoldenVector> load_golden_vectors()
{
    std::vector<GoldenVector> vectors;
    std::ifstream in(golden_vectors_path());
    std::string line;
    while (std::getline(in, line)) {
        if (line.empty() || line[0] == '#')
            continue;
        std::vector<std::string> fields;
        std::stringstream ss(line);
        std::string field;
        while (std::getline(ss, field, '\t'))
            fields.push_back(field);
        if (fields.size() < 3)
            continue;
        GoldenVector v;
        v.text = fields[0];
        v.nasm_bytes = parse_hex(fields[1]);
        std::stringstream lengths(fields[2]);
        while (std::getline(lengths, field, ','))
            v.objdump_lengths.push_back(static_cast<u32>(std::stoul(field)));
        v.objdump_text = fields.size() > 3 ? fields[3] : "";
        vectors.push_back(std::move(v));
    }
    return vectors;
}
