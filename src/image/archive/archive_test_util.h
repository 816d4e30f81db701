// Test helpers for the archive tests (header-only: a .cpp here would land in the library).
#pragma once

#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "common/sys.h"
#include "image/archive/archive.h"
#include "image/digest.h"

namespace berth::image {
inline void PrintTo(const Digest& d, std::ostream* os) {
    *os << d.str();
}
}  // namespace berth::image

namespace berth::image::archive::testutil {

// These tests make devices, set trusted.* xattrs and chown: root only; skipped otherwise.
class RootOnly : public ::testing::Environment {
  public:
    void SetUp() override {
        if (::geteuid() != 0) GTEST_SKIP() << "needs root (mknod, chown, trusted.* xattrs)";
    }
};
inline ::testing::Environment* const kRootOnly = ::testing::AddGlobalTestEnvironment(new RootOnly);

// A fresh directory under /tmp, removed (without following symlinks) at the end.
class TempDir {
  public:
    TempDir() {
        char tmpl[] = "/tmp/berth-archive-test-XXXXXX";
        const char* p = ::mkdtemp(tmpl);
        if (!p) throw std::runtime_error("mkdtemp failed");
        path_ = p;
    }
    ~TempDir() { (void)sys::removeAll(path_); }
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;
    const std::string& path() const { return path_; }
    // A new subdirectory.
    std::string mkdir(const std::string& name) const {
        std::string p = path_ + "/" + name;
        if (::mkdir(p.c_str(), 0755) < 0 && errno != EEXIST) throw std::runtime_error("mkdir " + p);
        return p;
    }

  private:
    std::string path_;
};

struct TarEntry {
    std::string name;
    char type = 'f';  // f file, d dir, l symlink, h hardlink, c/b device, p fifo
    std::string data;
    std::string link;  // symlink or hardlink target
    mode_t mode = 0644;
    int64_t uid = 0, gid = 0;
    time_t mtime = 1600000000;
    unsigned devMajor = 0, devMinor = 0;
    std::vector<std::pair<std::string, std::string>> xattrs;
};

inline TarEntry file(std::string name, std::string data, mode_t mode = 0644) {
    TarEntry e;
    e.name = std::move(name);
    e.data = std::move(data);
    e.mode = mode;
    return e;
}
inline TarEntry dir(std::string name, mode_t mode = 0755) {
    TarEntry e;
    e.name = std::move(name);
    e.type = 'd';
    e.mode = mode;
    return e;
}
inline TarEntry symlink(std::string name, std::string target) {
    TarEntry e;
    e.name = std::move(name);
    e.type = 'l';
    e.link = std::move(target);
    e.mode = 0777;
    return e;
}
inline TarEntry hardlink(std::string name, std::string target) {
    TarEntry e;
    e.name = std::move(name);
    e.type = 'h';
    e.link = std::move(target);
    return e;
}

// A tar (PAX) written by libarchive itself, optionally compressed by libarchive's filters:
// an encoder independent of ours. `filter`: ARCHIVE_FILTER_NONE / _GZIP / _ZSTD.
inline std::string makeTar(const std::vector<TarEntry>& entries, int filter = ARCHIVE_FILTER_NONE) {
    struct archive* a = archive_write_new();
    archive_write_set_format_pax(a);
    if (filter == ARCHIVE_FILTER_GZIP) archive_write_add_filter_gzip(a);
    if (filter == ARCHIVE_FILTER_ZSTD) archive_write_add_filter_zstd(a);
    archive_write_set_bytes_in_last_block(a, 1);
    std::string out;
    archive_write_open(
        a, &out, nullptr,
        [](struct archive*, void* ud, const void* b, size_t n) -> la_ssize_t {
            static_cast<std::string*>(ud)->append(static_cast<const char*>(b), n);
            return static_cast<la_ssize_t>(n);
        },
        nullptr);
    for (const auto& t : entries) {
        struct archive_entry* e = archive_entry_new();
        archive_entry_copy_pathname(e, t.name.c_str());
        archive_entry_set_perm(e, t.mode);
        archive_entry_set_uid(e, t.uid);
        archive_entry_set_gid(e, t.gid);
        archive_entry_set_mtime(e, t.mtime, 0);
        switch (t.type) {
            case 'f':
                archive_entry_set_filetype(e, AE_IFREG);
                break;
            case 'd':
                archive_entry_set_filetype(e, AE_IFDIR);
                break;
            case 'l':
                archive_entry_set_filetype(e, AE_IFLNK);
                archive_entry_copy_symlink(e, t.link.c_str());
                break;
            case 'h':
                archive_entry_set_filetype(e, AE_IFREG);
                archive_entry_copy_hardlink(e, t.link.c_str());
                break;
            case 'c':
            case 'b':
                archive_entry_set_filetype(e, t.type == 'c' ? AE_IFCHR : AE_IFBLK);
                archive_entry_set_rdevmajor(e, t.devMajor);
                archive_entry_set_rdevminor(e, t.devMinor);
                break;
            case 'p':
                archive_entry_set_filetype(e, AE_IFIFO);
                break;
        }
        for (const auto& [k, v] : t.xattrs)
            archive_entry_xattr_add_entry(e, k.c_str(), v.data(), v.size());
        archive_entry_set_size(e, t.type == 'f' ? static_cast<la_int64_t>(t.data.size()) : 0);
        if (archive_write_header(a, e) != ARCHIVE_OK)
            throw std::runtime_error(std::string("tar header: ") + archive_error_string(a));
        if (t.type == 'f' && !t.data.empty()) archive_write_data(a, t.data.data(), t.data.size());
        archive_entry_free(e);
    }
    archive_write_close(a);
    archive_write_free(a);
    return out;
}

// A source over an in-memory blob, handing out at most `step` bytes per call.
inline ReadFn memSource(std::string data, size_t step = 1 << 20) {
    auto s = std::make_shared<std::pair<std::string, size_t>>(std::move(data), 0);
    return [s, step](void* buf, size_t n) -> Result<size_t> {
        size_t k = std::min({n, step, s->first.size() - s->second});
        std::memcpy(buf, s->first.data() + s->second, k);
        s->second += k;
        return k;
    };
}

inline Result<UnpackResult> unpackString(const std::string& blob, const std::string& dest,
                                         const UnpackOptions& o = {}) {
    return unpackLayer(memSource(blob), dest, o);
}

// Everything observable about a tree, one line per path (sorted): type, mode, owner, mtime,
// content hash / link target / device, xattrs, and which paths share an inode.
inline std::map<std::string, std::string> snapshot(const std::string& root) {
    std::map<std::string, std::string> out;
    std::map<std::pair<dev_t, ino_t>, std::string> inodes;
    std::function<void(const std::string&)> walk = [&](const std::string& rel) {
        std::string dirPath = rel.empty() ? root : root + "/" + rel;
        int fd = ::open(dirPath.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW);
        if (fd < 0) throw std::runtime_error("open " + dirPath);
        std::vector<std::string> names;
        if (DIR* d = ::fdopendir(fd)) {
            while (struct dirent* de = ::readdir(d)) {
                std::string n = de->d_name;
                if (n != "." && n != "..") names.push_back(n);
            }
            ::closedir(d);
        }
        std::sort(names.begin(), names.end());
        for (const auto& n : names) {
            std::string r = rel.empty() ? n : rel + "/" + n;
            std::string p = root + "/" + r;
            struct stat st;
            if (::lstat(p.c_str(), &st) < 0) throw std::runtime_error("lstat " + p);
            std::string d = fmt::format("mode={:o} owner={}:{} mtime={}", st.st_mode, st.st_uid,
                                        st.st_gid, st.st_mtim.tv_sec);
            if (S_ISREG(st.st_mode)) {
                auto content = sys::readFile(p);
                d += " sha=" + (content ? sha256Of(*content).shortHex() : "?");
                if (st.st_nlink > 1) {
                    auto [it, first] = inodes.try_emplace({st.st_dev, st.st_ino}, r);
                    d += " inode-of=" + it->second;
                }
            } else if (S_ISLNK(st.st_mode)) {
                d += " -> " + sys::readlink(p).valueOr("?");
            } else if (S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode)) {
                d += fmt::format(" dev={}:{}", major(st.st_rdev), minor(st.st_rdev));
            }
            char names[4096];
            ssize_t len = ::llistxattr(p.c_str(), names, sizeof names);
            std::vector<std::string> xs;
            for (ssize_t i = 0; i < len;) {
                std::string x = names + i;
                i += static_cast<ssize_t>(x.size()) + 1;
                char v[4096];
                ssize_t vl = ::lgetxattr(p.c_str(), x.c_str(), v, sizeof v);
                xs.push_back(x + "=" + std::string(v, vl > 0 ? static_cast<size_t>(vl) : 0));
            }
            std::sort(xs.begin(), xs.end());
            for (const auto& x : xs) d += " xattr:" + x;
            out[r] = d;
            if (S_ISDIR(st.st_mode)) walk(r);
        }
    };
    walk("");
    return out;
}

// "" when equal, else the differing lines (readable failures).
inline std::string diffSnapshots(const std::map<std::string, std::string>& a,
                                 const std::map<std::string, std::string>& b) {
    std::string out;
    for (const auto& [k, v] : a) {
        auto it = b.find(k);
        if (it == b.end())
            out += "only in first: " + k + "\n";
        else if (it->second != v)
            out += k + ":\n  " + v + "\n  " + it->second + "\n";
    }
    for (const auto& [k, v] : b)
        if (!a.contains(k)) out += "only in second: " + k + "\n";
    return out;
}

inline std::string readAll(const std::string& path) {
    return sys::readFile(path).valueOr("<missing>");
}

inline void writeAll(const std::string& path, const std::string& data, mode_t mode = 0644) {
    int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, mode);
    if (fd < 0) throw std::runtime_error("create " + path);
    if (::write(fd, data.data(), data.size()) != static_cast<ssize_t>(data.size()))
        throw std::runtime_error("write " + path);
    ::close(fd);
}

inline bool lexists(const std::string& path) {
    struct stat st;
    return ::lstat(path.c_str(), &st) == 0;
}

}  // namespace berth::image::archive::testutil
