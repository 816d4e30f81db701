#include "image/registry/growing_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <thread>

namespace berth::image::registry {
namespace {

class GrowingFileTest : public ::testing::Test {
  protected:
    void SetUp() override {
        char tmpl[] = "/tmp/berth-growing-XXXXXX";
        wfd_ = mkstemp(tmpl);
        ASSERT_GE(wfd_, 0);
        path_ = tmpl;
        rfd_ = open(tmpl, O_RDONLY);
        ASSERT_GE(rfd_, 0);
    }
    void TearDown() override {
        close(wfd_);
        close(rfd_);
        unlink(path_.c_str());
    }
    void append(GrowingFile& g, const std::string& s) {
        ASSERT_EQ(write(wfd_, s.data(), s.size()), static_cast<ssize_t>(s.size()));
        written_ += static_cast<int64_t>(s.size());
        g.appended(written_);
    }
    std::string readAll(const archive::ReadFn& rd, Status* st = nullptr) {
        std::string out;
        char buf[7];
        for (;;) {
            auto r = rd(buf, sizeof buf);
            if (!r) {
                if (st) *st = r.error();
                return out;
            }
            if (*r == 0) return out;
            out.append(buf, *r);
        }
    }
    int wfd_ = -1, rfd_ = -1;
    int64_t written_ = 0;
    std::string path_;
};

TEST_F(GrowingFileTest, ReaderFollowsTheWriterUntilItFinishes) {
    GrowingFile g(0);
    std::string got;
    std::thread reader([&] { got = readAll(g.reader(rfd_)); });
    std::string want;
    for (int i = 0; i < 50; i++) {
        auto chunk = "chunk-" + std::to_string(i) + ";";
        append(g, chunk);
        want += chunk;
        if (i % 10 == 0) std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
    g.finish({});
    reader.join();
    EXPECT_EQ(got, want);
}

TEST_F(GrowingFileTest, ResumedDataIsReadFirst) {
    ASSERT_EQ(write(wfd_, "old-", 4), 4);
    written_ = 4;
    GrowingFile g(4);
    std::string got;
    std::thread reader([&] { got = readAll(g.reader(rfd_)); });
    append(g, "new");
    g.finish({});
    reader.join();
    EXPECT_EQ(got, "old-new");
}

TEST_F(GrowingFileTest, ReaderDoesNotSeeTheEndBeforeFinish) {
    GrowingFile g(0);
    append(g, "abc");
    std::atomic<bool> done{false};
    std::string got;
    std::thread reader([&] {
        got = readAll(g.reader(rfd_));
        done = true;
    });
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    EXPECT_FALSE(done);  // blocked waiting for more, not at EOF
    g.finish({});
    reader.join();
    EXPECT_EQ(got, "abc");
}

TEST_F(GrowingFileTest, FailureReachesTheReader) {
    GrowingFile g(0);
    append(g, "partial");
    Status st;
    std::thread reader([&] { readAll(g.reader(rfd_), &st); });
    g.finish(makeError(EBADMSG, "blob digest mismatch: expected sha256:aa"));
    reader.join();
    ASSERT_FALSE(st);
    EXPECT_EQ(st.error().code, EBADMSG);
    EXPECT_NE(st.error().msg.find("sha256:aa"), std::string::npos);
}

TEST_F(GrowingFileTest, RestartAfterTruncateWaitsForTheSameBytesAgain) {
    GrowingFile g(0);
    append(g, "0123");
    auto rd = g.reader(rfd_);
    char buf[4];
    ASSERT_EQ(*rd(buf, 4), 4u);
    // The server ignored the Range: the writer starts over with the same content.
    g.restarted();
    ASSERT_EQ(ftruncate(wfd_, 0), 0);
    ASSERT_EQ(lseek(wfd_, 0, SEEK_SET), 0);
    written_ = 0;
    std::string rest;
    std::thread reader([&] { rest = readAll(rd); });
    append(g, "0123");
    append(g, "4567");
    g.finish({});
    reader.join();
    EXPECT_EQ(rest, "4567");
}

}  // namespace
}  // namespace berth::image::registry
