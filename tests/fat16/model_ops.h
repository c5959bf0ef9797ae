// Random operation sequences over an in-memory model of the volume, shared by
// the random-sequence test and the crash test.
//
// The model holds every file's exact bytes and every directory. Names come
// from a small pool so that operations collide (overwrite, replace, rename
// onto existing names). Paths are kept upper case: lookups are
// case-insensitive, and the operations spell them in mixed case on purpose.
#pragma once

#include "fat_test_util.h"

#include <algorithm>
#include <map>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <vector>

namespace fat16::test {

struct Model {
    std::map<std::string, std::vector<u8>> files;
    std::set<std::string> dirs; // "" is the root and always present
    Model() { dirs.insert(""); }

    static std::string parent_of(const std::string& path)
    {
        auto slash = path.rfind('/');
        return slash == std::string::npos ? "" : path.substr(0, slash);
    }
    bool exists(const std::string& path) const { return files.count(path) || dirs.count(path); }
    bool dir_empty(const std::string& dir) const
    {
        for (auto const& [p, d] : files)
            if (parent_of(p) == dir)
                return false;
        for (auto const& d : dirs)
            if (!d.empty() && d != dir && parent_of(d) == dir)
                return false;
        return true;
    }
};

enum class OpKind { Create, AtomicWrite, Write, Append, Truncate, Rename, Replace, Delete, Mkdir, Rmdir };

inline const char* op_name(OpKind k)
{
    switch (k) {
    case OpKind::Create: return "create";
    case OpKind::AtomicWrite: return "replace_file";
    case OpKind::Write: return "write";
    case OpKind::Append: return "append";
    case OpKind::Truncate: return "truncate";
    case OpKind::Rename: return "rename";
    case OpKind::Replace: return "replace";
    case OpKind::Delete: return "delete";
    case OpKind::Mkdir: return "mkdir";
    case OpKind::Rmdir: return "rmdir";
    }
    return "?";
}

struct Op {
    OpKind kind;
    std::string path;  // model spelling (upper case)
    std::string path2; // rename/replace target
    u32 offset { 0 };
    u32 size { 0 };
    std::vector<u8> data;
};

// Mixed case on the way to the driver: "D1/F3.TXT" -> "d1/F3.txt" etc.
inline std::string driver_spelling(const std::string& path, u32 salt)
{
    std::string out = path;
    for (size_t i = 0; i < out.size(); ++i)
        if (((i + salt) % 3 == 0) && out[i] >= 'A' && out[i] <= 'Z')
            out[i] = char(out[i] - 'A' + 'a');
    return out;
}

class OpGenerator {
public:
    OpGenerator(u32 seed, u32 max_file) : m_rng(seed), m_max_file(max_file) { }

    Op next(const Model& model)
    {
        for (;;) {
            u32 roll = pick(100);
            std::vector<std::string> files;
            for (auto const& [p, d] : model.files)
                files.push_back(p);
            if (roll < 6) {
                Op op = create(model);
                op.kind = OpKind::AtomicWrite; // Volume::replace_file, new or existing file
                return op;
            }
            if (roll < 22)
                return create(model);
            if (roll < 34 && !files.empty()) {
                auto f = any(files);
                return { OpKind::Write, f, "", pick(u32(model.files.at(f).size()) + 200), 0, content() };
            }
            if (roll < 48 && !files.empty())
                return { OpKind::Append, any(files), "", 0, 0, content() };
            if (roll < 58 && !files.empty()) {
                auto f = any(files);
                return { OpKind::Truncate, f, "", 0, pick(u32(model.files.at(f).size()) + 1500), {} };
            }
            if (roll < 68 && !files.empty()) {
                auto target = new_name(model);
                if (!target.empty())
                    return { OpKind::Rename, any(files), target, 0, 0, {} };
            }
            if (roll < 76 && files.size() >= 2) {
                auto a = any(files), b = any(files);
                if (a != b)
                    return { OpKind::Replace, a, b, 0, 0, {} };
            }
            if (roll < 88 && !files.empty())
                return { OpKind::Delete, any(files), "", 0, 0, {} };
            if (roll < 95) {
                auto d = new_dir(model);
                if (!d.empty())
                    return { OpKind::Mkdir, d, "", 0, 0, {} };
            }
            std::vector<std::string> empty_dirs;
            for (auto const& d : model.dirs)
                if (!d.empty() && model.dir_empty(d))
                    empty_dirs.push_back(d);
            if (!empty_dirs.empty())
                return { OpKind::Rmdir, any(empty_dirs), "", 0, 0, {} };
        }
    }

    std::vector<u8> content()
    {
        u32 roll = pick(100);
        u32 size = roll < 60 ? pick(1200) : roll < 92 ? pick(m_max_file / 4) : pick(m_max_file);
        std::vector<u8> data(size);
        for (auto& b : data)
            b = u8(m_rng());
        return data;
    }

private:
    u32 pick(u32 bound) { return bound ? u32(m_rng() % bound) : 0; }
    template<typename T>
    T any(const std::vector<T>& v) { return v[pick(u32(v.size()))]; }

    std::string random_dir(const Model& model)
    {
        std::vector<std::string> dirs(model.dirs.begin(), model.dirs.end());
        return any(dirs);
    }
    std::string join(const std::string& dir, const std::string& name) { return dir.empty() ? name : dir + "/" + name; }
    std::string file_name()
    {
        static const char* ext[] = { ".TXT", ".BIN", "", ".DAT" };
        return "F" + std::to_string(pick(24)) + ext[pick(4)];
    }
    Op create(const Model& model)
    {
        for (;;) {
            auto path = join(random_dir(model), file_name());
            if (!model.dirs.count(path))
                return { OpKind::Create, path, "", 0, 0, content() };
        }
    }
    std::string new_name(const Model& model)
    {
        for (int tries = 0; tries < 20; ++tries) {
            auto path = join(random_dir(model), file_name());
            if (!model.exists(path))
                return path;
        }
        return "";
    }
    std::string new_dir(const Model& model)
    {
        auto parent = random_dir(model);
        if (std::count(parent.begin(), parent.end(), '/') >= 2)
            return "";
        auto path = join(parent, "D" + std::to_string(pick(6)));
        return model.exists(path) ? "" : path;
    }

    std::mt19937 m_rng;
    u32 m_max_file;
};

inline void apply_to_model(Model& model, const Op& op)
{
    switch (op.kind) {
    case OpKind::Create:
    case OpKind::AtomicWrite:
        model.files[op.path] = op.data;
        break;
    case OpKind::Write: {
        auto& f = model.files[op.path];
        if (f.size() < op.offset + op.data.size())
            f.resize(op.offset + op.data.size(), 0);
        std::copy(op.data.begin(), op.data.end(), f.begin() + op.offset);
        break;
    }
    case OpKind::Append: {
        auto& f = model.files[op.path];
        f.insert(f.end(), op.data.begin(), op.data.end());
        break;
    }
    case OpKind::Truncate:
        model.files[op.path].resize(op.size, 0);
        break;
    case OpKind::Rename:
    case OpKind::Replace:
        model.files[op.path2] = model.files[op.path];
        model.files.erase(op.path);
        break;
    case OpKind::Delete:
        model.files.erase(op.path);
        break;
    case OpKind::Mkdir:
        model.dirs.insert(op.path);
        break;
    case OpKind::Rmdir:
        model.dirs.erase(op.path);
        break;
    }
}

inline ErrorOr<void> apply_to_volume(Volume& volume, const Op& op, u32 salt)
{
    std::string path = driver_spelling(op.path, salt);
    std::string path2 = driver_spelling(op.path2, salt + 1);
    File file;
    switch (op.kind) {
    case OpKind::Create:
        return write_whole(volume, path, op.data);
    case OpKind::AtomicWrite:
        return volume.replace_file(path.c_str(), op.data.data(), u32(op.data.size()));
    case OpKind::Write:
    case OpKind::Append: {
        auto opened = volume.open(path.c_str(), file, OPEN_WRITE);
        if (opened.is_error())
            return opened.error();
        auto sought = volume.seek(file, op.kind == OpKind::Append ? file.size : op.offset);
        if (sought.is_error())
            return sought.error();
        auto n = volume.write(file, op.data.data(), u32(op.data.size()));
        if (n.is_error())
            return n.error();
        return {};
    }
    case OpKind::Truncate: {
        auto opened = volume.open(path.c_str(), file, OPEN_WRITE);
        if (opened.is_error())
            return opened.error();
        return volume.truncate(file, op.size);
    }
    case OpKind::Rename:
        return volume.rename(path.c_str(), path2.c_str());
    case OpKind::Replace:
        return volume.rename(path.c_str(), path2.c_str(), true);
    case OpKind::Delete:
        return volume.remove(path.c_str());
    case OpKind::Mkdir:
        return volume.mkdir(path.c_str());
    case OpKind::Rmdir:
        return volume.rmdir(path.c_str());
    }
    return Error::InvalidArgument;
}

// Every file and directory of the model is on the volume with the same
// bytes, and nothing else is. Returns a description of the first mismatch.
inline std::string compare_with_model(Volume& volume, const Model& model)
{
    for (auto const& [path, content] : model.files) {
        auto data = read_whole(volume, path);
        if (data.is_error())
            return path + ": " + error_name(data.error());
        if (data.value() != content)
            return path + ": content differs (" + std::to_string(data.value().size()) + " bytes vs "
                + std::to_string(content.size()) + ")";
    }
    for (auto const& dir : model.dirs) {
        auto listing = list_directory(volume, dir.empty() ? "/" : dir);
        if (listing.is_error())
            return dir + "/: " + error_name(listing.error());
        for (auto const& [name, entry] : listing.value()) {
            std::string full = dir.empty() ? name : dir + "/" + name;
            std::string upper = full;
            for (auto& c : upper)
                c = char(toupper(c));
            if (!(entry.directory ? model.dirs.count(upper) : model.files.count(upper)))
                return "unexpected entry " + full;
        }
    }
    return "";
}

} // namespace fat16::test
