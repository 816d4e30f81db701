// Fixture helpers for the cgroup tests: temp trees of plain files shaped like cgroupfs, and an
// Os that records every write (plain files keep only the last value written).
#pragma once

#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "common/sys.h"

namespace berth::cgroups::testing {

class TempTree {
  public:
    TempTree() {
        char tmpl[] = "/tmp/berth-cgfix-XXXXXX";
        root_ = ::mkdtemp(tmpl);
    }
    ~TempTree() { std::filesystem::remove_all(root_); }
    const std::string& root() const { return root_; }
    std::string path(const std::string& rel) const { return root_ + "/" + rel; }

    // Creates the file (and its parents) with content.
    void file(const std::string& rel, const std::string& content = "") const {
        std::filesystem::create_directories(std::filesystem::path(path(rel)).parent_path());
        std::ofstream(path(rel), std::ios::trunc) << content;
    }
    void dir(const std::string& rel) const { std::filesystem::create_directories(path(rel)); }
    std::string read(const std::string& rel) const {
        std::ifstream in(path(rel));
        std::stringstream ss;
        ss << in.rdbuf();
        return ss.str();
    }
    bool exists(const std::string& rel) const { return std::filesystem::exists(path(rel)); }

  private:
    std::string root_;
};

// Records (file name, data) for every write through sys::os().
class RecordingOs final : public sys::Os {
  public:
    std::vector<std::pair<std::string, std::string>> writes;

    int open(const char* p, int f, mode_t m) override { return real().open(p, f, m); }
    int openat(int d, const char* p, int f, mode_t m) override {
        int fd = real().openat(d, p, f, m);
        if (fd >= 0) names_[fd] = p;
        return fd;
    }
    int mkdirat(int d, const char* p, mode_t m) override { return real().mkdirat(d, p, m); }
    int mount(const char* s, const char* d, const char* t, unsigned long f,
              const void* data) override {
        return real().mount(s, d, t, f, data);
    }
    int umount2(const char* t, int f) override { return real().umount2(t, f); }
    ssize_t write(int fd, const void* b, size_t n) override {
        writes.emplace_back(names_[fd], std::string(static_cast<const char*>(b), n));
        return real().write(fd, b, n);
    }
    ssize_t read(int fd, void* b, size_t n) override { return real().read(fd, b, n); }
    int unlinkat(int d, const char* p, int f) override { return real().unlinkat(d, p, f); }

    // Writes to one file, in order.
    std::vector<std::string> to(const std::string& file) const {
        std::vector<std::string> out;
        for (const auto& [f, d] : writes) {
            if (f == file) out.push_back(d);
        }
        return out;
    }

  private:
    static sys::Os& real() { return sys::realOs(); }
    std::map<int, std::string> names_;
};

}  // namespace berth::cgroups::testing
