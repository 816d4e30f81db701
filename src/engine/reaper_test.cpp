#include "engine/reaper.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>

namespace berth::engine {
namespace {

namespace fs = std::filesystem;

struct TempDir {
    TempDir() {
        char t[] = "/tmp/berth-reaper-XXXXXX";
        path = ::mkdtemp(t);
    }
    ~TempDir() { fs::remove_all(path); }
    std::string path;
};

TEST(DirReaper, DeletesQueuedTreesAndDrains) {
    TempDir t;
    for (const char* n : {"a", "b", "c"}) {
        fs::create_directories(t.path + "/" + n + "/rootfs/x/y");
        std::ofstream(t.path + "/" + n + "/rootfs/x/y/f") << "data";
    }
    DirReaper r;
    r.add(t.path + "/a");
    r.add(t.path + "/b");
    r.drain();
    EXPECT_FALSE(fs::exists(t.path + "/a"));
    EXPECT_FALSE(fs::exists(t.path + "/b"));
    EXPECT_TRUE(fs::exists(t.path + "/c"));
}

TEST(DirReaper, FinishesItsQueueWhenDestroyed) {
    TempDir t;
    for (int i = 0; i < 20; i++) fs::create_directories(t.path + "/d" + std::to_string(i) + "/x");
    {
        DirReaper r;
        for (int i = 0; i < 20; i++) r.add(t.path + "/d" + std::to_string(i));
    }
    EXPECT_TRUE(fs::is_empty(t.path));
}

TEST(DirReaper, AMissingDirectoryIsNoError) {
    TempDir t;
    DirReaper r;
    r.add(t.path + "/never-made");
    r.drain();
    fs::create_directories(t.path + "/after");
    r.add(t.path + "/after");
    r.drain();
    EXPECT_FALSE(fs::exists(t.path + "/after"));
}

}  // namespace
}  // namespace berth::engine
