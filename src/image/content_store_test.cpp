#include "image/content_store.h"

#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <gtest/gtest.h>

#include "common/sys.h"

using namespace berth;
using namespace berth::image;

namespace {

struct TempDir {
    std::string path;
    TempDir() {
        char t[] = "/tmp/berth-cs-XXXXXX";
        path = mkdtemp(t);
    }
    ~TempDir() { (void)sys::removeAll(path); }
};

size_t countFiles(const std::string& dir) {
    size_t n = 0;
    auto r = sys::open(dir, O_RDONLY | O_DIRECTORY);
    if (!r) return 0;
    DIR* d = fdopendir(r->release());
    while (auto* e = readdir(d))
        if (std::string(e->d_name) != "." && std::string(e->d_name) != "..") n++;
    closedir(d);
    return n;
}

}  // namespace

TEST(ContentStore, PutReadVerify) {
    TempDir t;
    auto cs = ContentStore::open(t.path);
    ASSERT_TRUE(cs) << cs.error().str();
    auto d = (*cs)->put("hello");
    ASSERT_TRUE(d);
    EXPECT_EQ(*d, sha256Of("hello"));
    EXPECT_TRUE((*cs)->has(*d));
    EXPECT_EQ(*(*cs)->readVerified(*d), "hello");
    EXPECT_EQ(*(*cs)->size(*d), 5);
    // A mismatching expected digest stores nothing.
    auto bad = (*cs)->put("other", sha256Of("else"));
    ASSERT_FALSE(bad);
    EXPECT_FALSE((*cs)->has(sha256Of("other")));
    // A blob corrupted on disk is detected on read.
    ASSERT_TRUE(sys::writeFile((*cs)->blobPath(*d), "HELLO"));
    auto rd = (*cs)->readVerified(*d);
    ASSERT_FALSE(rd);
    EXPECT_NE(rd.error().msg.find("corrupt"), std::string::npos);
    EXPECT_EQ((*cs)->list()->size(), 1u);
}

TEST(ContentStore, IngestResumesAndVerifies) {
    TempDir t;
    auto cs = std::move(ContentStore::open(t.path).value());
    std::string data(3 << 20, 'x');
    for (size_t i = 0; i < data.size(); i += 7) data[i] = static_cast<char>(i);
    auto want = sha256Of(data);
    {
        auto w = cs->ingest(want.str());
        ASSERT_TRUE(w) << w.error().str();
        ASSERT_TRUE(w->write(data.data(), 1000000));
        // Dropped without commit: an interrupted download.
    }
    EXPECT_FALSE(cs->has(want));
    auto w = cs->ingest(want.str());
    ASSERT_TRUE(w);
    EXPECT_EQ(w->offset(), 1000000);
    ASSERT_TRUE(w->write(data.data() + 1000000, data.size() - 1000000));
    auto got = w->commit(want, static_cast<int64_t>(data.size()));
    ASSERT_TRUE(got) << got.error().str();
    EXPECT_TRUE(cs->has(want));
    EXPECT_EQ(countFiles(t.path + "/content/ingest"), 0u);

    // Wrong content: rejected, nothing visible, no ingest left.
    auto w2 = cs->ingest("sha256:" + std::string(64, 'a'));
    ASSERT_TRUE(w2);
    ASSERT_TRUE(w2->write("abc", 3));
    auto bad = w2->commit(*Digest::parse("sha256:" + std::string(64, 'a')));
    ASSERT_FALSE(bad);
    EXPECT_NE(bad.error().msg.find("mismatch"), std::string::npos);
    EXPECT_EQ(countFiles(t.path + "/content/ingest"), 0u);
    EXPECT_EQ(cs->list()->size(), 1u);
}

TEST(ContentStore, CleansTempAndUnheldIngests) {
    TempDir t;
    {
        auto cs = std::move(ContentStore::open(t.path).value());
        ASSERT_TRUE(sys::writeFile(cs->tmpDir() + "/leftover", "x", O_WRONLY | O_CREAT, 0600));
        auto w = cs->ingest("partial");
        ASSERT_TRUE(w);
        ASSERT_TRUE(w->write("abc", 3));
    }
    auto cs = std::move(ContentStore::open(t.path).value());
    EXPECT_EQ(countFiles(cs->tmpDir()), 0u);
    EXPECT_EQ(countFiles(t.path + "/content/ingest"), 1u);  // kept for a resume
    {
        auto held = cs->ingest("held");
        ASSERT_TRUE(held);
        auto freed = cs->cleanIngests();
        ASSERT_TRUE(freed);
        EXPECT_EQ(*freed, 3);
        EXPECT_EQ(countFiles(t.path + "/content/ingest"), 1u);  // "held" is in use
    }
    EXPECT_FALSE(cs->ingest("../escape"));
}
