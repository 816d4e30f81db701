#include "common/sys.h"

#include <gtest/gtest.h>
#include <linux/openat2.h>
#include <sys/stat.h>

#include <cstdlib>

namespace berth {
namespace {

struct TempDir {
    std::string path;
    TempDir() {
        char t[] = "/tmp/berth-sys-XXXXXX";
        path = mkdtemp(t);
    }
    ~TempDir() { (void)sys::removeAll(path); }
};

class FailingMount : public sys::Os {
public:
    int open(const char* p, int f, mode_t m) override { return sys::realOs().open(p, f, m); }
    int openat(int d, const char* p, int f, mode_t m) override {
        return sys::realOs().openat(d, p, f, m);
    }
    int mkdirat(int d, const char* p, mode_t m) override { return sys::realOs().mkdirat(d, p, m); }
    int mount(const char*, const char*, const char*, unsigned long, const void*) override {
        errno = EPERM;
        return -1;
    }
    int umount2(const char*, int) override { return 0; }
    ssize_t write(int fd, const void* b, size_t n) override { return sys::realOs().write(fd, b, n); }
    ssize_t read(int fd, void* b, size_t n) override { return sys::realOs().read(fd, b, n); }
    int unlinkat(int d, const char* p, int f) override { return sys::realOs().unlinkat(d, p, f); }
};

TEST(Sys, InjectedErrnoReachesCaller) {
    FailingMount fake;
    sys::ScopedOs scope(fake);
    auto st = sys::mount("proc", "/x/proc", "proc", 0);
    ASSERT_FALSE(st.ok());
    EXPECT_EQ(st.error().str(), "mount proc on /x/proc: EPERM");
}

TEST(Sys, FilesRoundTripAndRemoveAll) {
    TempDir d;
    ASSERT_TRUE(sys::mkdirAll(d.path + "/a/b/c", 0755).ok());
    ASSERT_TRUE(sys::writeFileAtomic(d.path + "/a/b/c/f", "hello").ok());
    auto r = sys::readFile(d.path + "/a/b/c/f");
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(*r, "hello");
    ASSERT_EQ(symlink("/etc", (d.path + "/a/link").c_str()), 0);
    ASSERT_TRUE(sys::removeAll(d.path + "/a").ok());
    EXPECT_FALSE(sys::exists(d.path + "/a"));
    EXPECT_TRUE(sys::exists("/etc/passwd"));  // the symlink was removed, not followed
}

TEST(Sys, Openat2InRootStaysInside) {
    TempDir d;
    ASSERT_EQ(symlink("/", (d.path + "/escape").c_str()), 0);
    auto root = sys::open(d.path, O_PATH | O_DIRECTORY);
    ASSERT_TRUE(root.ok());
    // With RESOLVE_IN_ROOT, "/escape/etc/passwd" resolves to <root>/etc/passwd: missing.
    auto f = sys::openat2(root->get(), "escape/etc/passwd", O_RDONLY, RESOLVE_IN_ROOT);
    ASSERT_FALSE(f.ok());
    EXPECT_EQ(f.error().code, ENOENT);
}

TEST(Sys, MissingFileNamesPath) {
    auto r = sys::readFile("/nonexistent/berth");
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().str(), "open /nonexistent/berth: ENOENT");
}

}  // namespace
}  // namespace berth
