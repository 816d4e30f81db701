// The json-file writer and reader together: lines, partial lines, rotation, tail, since/until,
// follow across rotations.
#include <unistd.h>

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <thread>
#include <vector>

#include "common/sys.h"
#include "monitor/log_writer.h"
#include "monitor/monitor.h"

namespace berth::monitor {
namespace {

struct Line {
    int stream;
    std::string text;
    int64_t t;
    bool operator==(const Line&) const = default;
};

class Log : public ::testing::Test {
  protected:
    void SetUp() override {
        char tmpl[] = "/tmp/berth-log-test-XXXXXX";
        ASSERT_NE(::mkdtemp(tmpl), nullptr);
        dir_ = tmpl;
        path_ = dir_ + "/container.log";
    }
    void TearDown() override { std::filesystem::remove_all(dir_); }

    std::vector<Line> read(const LogReadOptions& o = {}, int maxFiles = 1) {
        std::vector<Line> out;
        auto st = readLog(
            path_, maxFiles, o,
            [&](int s, std::string_view l, int64_t t) {
                out.push_back({s, std::string(l), t});
                return true;
            },
            nullptr);
        EXPECT_TRUE(st) << st.error().str();
        return out;
    }
    std::vector<std::string> texts(const std::vector<Line>& v) {
        std::vector<std::string> out;
        for (const auto& l : v) out.push_back(l.text);
        return out;
    }

    std::string dir_, path_;
};

using V = std::vector<std::string>;

TEST_F(Log, LinesAreCutAtNewlines) {
    LogWriter w;
    ASSERT_TRUE(w.open(path_, 0, 1));
    ASSERT_TRUE(w.write(1, "one\ntw", 10));
    ASSERT_TRUE(w.write(2, "err", 11));  // streams buffer apart
    ASSERT_TRUE(w.write(1, "o\nthree\n", 12));
    ASSERT_TRUE(w.write(2, "\n", 13));
    auto v = read();
    ASSERT_EQ(v.size(), 4u);
    EXPECT_EQ(v[0], (Line{1, "one\n", 10}));
    EXPECT_EQ(v[1], (Line{1, "two\n", 12}));  // stamped when the line completed
    EXPECT_EQ(v[2], (Line{1, "three\n", 12}));
    EXPECT_EQ(v[3], (Line{2, "err\n", 13}));
}

TEST_F(Log, PartialLinesAt16KiBAndAtEof) {
    LogWriter w;
    ASSERT_TRUE(w.open(path_, 0, 1));
    std::string big(40000, 'x');
    ASSERT_TRUE(w.write(1, big + "\nend", 1));
    ASSERT_TRUE(w.flush(1, 2));
    ASSERT_TRUE(w.flush(2, 2));  // nothing pending: nothing written
    auto t = texts(read());
    ASSERT_EQ(t.size(), 4u);
    EXPECT_EQ(t[0], std::string(16384, 'x'));
    EXPECT_EQ(t[1], std::string(16384, 'x'));
    EXPECT_EQ(t[2], std::string(40000 - 32768, 'x') + "\n");
    EXPECT_EQ(t[3], "end");
    // Pieces that add up to 16 KiB without a newline go out as one partial entry too.
    std::filesystem::remove(path_);
    LogWriter w2;
    ASSERT_TRUE(w2.open(path_, 0, 1));
    for (int i = 0; i < 16; i++) ASSERT_TRUE(w2.write(2, std::string(1024, 'y'), 5));
    ASSERT_TRUE(w2.write(2, "z\n", 6));
    t = texts(read());
    EXPECT_EQ(t, (V{std::string(16384, 'y'), "z\n"}));
}

TEST_F(Log, RotationBySizeAndCount) {
    LogWriter w;
    ASSERT_TRUE(w.open(path_, 1000, 3));
    for (int i = 0; i < 100; i++) ASSERT_TRUE(w.write(1, fmt::format("line {}\n", i), i));
    EXPECT_TRUE(sys::exists(path_ + ".1"));
    EXPECT_TRUE(sys::exists(path_ + ".2"));
    EXPECT_FALSE(sys::exists(path_ + ".3"));
    for (const char* s : {"", ".1", ".2"}) {
        EXPECT_LT(std::filesystem::file_size(path_ + s), 1100u) << s;
    }
    auto v = read({}, 3);
    ASSERT_FALSE(v.empty());
    EXPECT_EQ(v.back().text, "line 99\n");
    int first = std::stoi(v.front().text.substr(5));
    EXPECT_GT(first, 0);
    ASSERT_EQ(v.size(), static_cast<size_t>(100 - first));
    for (size_t i = 0; i < v.size(); i++) {
        EXPECT_EQ(v[i].text, fmt::format("line {}\n", first + static_cast<int>(i)));
    }
    // Reading with a smaller max-file sees fewer files.
    EXPECT_LT(read({}, 2).size(), v.size());
}

TEST_F(Log, MaxFileOneTruncates) {
    LogWriter w;
    ASSERT_TRUE(w.open(path_, 500, 1));
    for (int i = 0; i < 50; i++) ASSERT_TRUE(w.write(1, fmt::format("l{}\n", i), i));
    EXPECT_FALSE(sys::exists(path_ + ".1"));
    EXPECT_LT(std::filesystem::file_size(path_), 600u);
    auto v = read();
    ASSERT_FALSE(v.empty());
    EXPECT_EQ(v.back().text, "l49\n");
}

TEST_F(Log, TailSinceUntilAndStreams) {
    LogWriter w;
    ASSERT_TRUE(w.open(path_, 300, 4));
    for (int i = 0; i < 40; i++) {
        ASSERT_TRUE(w.write(i % 2 ? 2 : 1, fmt::format("n{}\n", i), 1000 + i));
    }
    LogReadOptions o;
    o.tail = 3;
    EXPECT_EQ(texts(read(o, 4)), (V{"n37\n", "n38\n", "n39\n"}));
    o.tail = 0;
    EXPECT_TRUE(read(o, 4).empty());
    auto all = read({}, 4);
    o.tail = static_cast<int>(all.size()) + 10;  // more than there is: everything
    EXPECT_EQ(read(o, 4).size(), all.size());
    // A tail spanning rotated files.
    o.tail = 12;
    auto t = read(o, 4);
    ASSERT_EQ(t.size(), 12u);
    EXPECT_EQ(t.front().text, "n28\n");
    o = {};
    o.sinceNs = 1035;
    o.untilNs = 1037;
    EXPECT_EQ(texts(read(o, 4)), (V{"n35\n", "n36\n", "n37\n"}));
    o = {};
    o.stderrStream = false;
    o.tail = 4;  // tail counts entries of both streams, as docker's does
    EXPECT_EQ(texts(read(o, 4)), (V{"n36\n", "n38\n"}));
    // A sink that says stop, stops.
    int n = 0;
    ASSERT_TRUE(readLog(
        path_, 4, {}, [&](int, std::string_view, int64_t) { return ++n < 2; }, nullptr));
    EXPECT_EQ(n, 2);
}

TEST_F(Log, MissingLogIsEmpty) {
    EXPECT_TRUE(read({}, 3).empty());
}

TEST_F(Log, DamagedLinesAreSkipped) {
    ASSERT_TRUE(
        sys::writeFile(path_,
                       "{\"log\":\"a\\n\",\"stream\":\"stdout\",\"time\":\"2026-11-25T05:46:"
                       "40Z\"}\ngarbage\n{\"log\":\"b\\n\",\"stream\":\"stderr\",\"time\":"
                       "\"2026-11-25T09:46:41Z\"}\n",
                       O_WRONLY | O_CREAT | O_TRUNC));
    EXPECT_EQ(texts(read()), (V{"a\n", "b\n"}));
}

TEST_F(Log, FollowAcrossRotations) {
    LogWriter w;
    ASSERT_TRUE(w.open(path_, 2000, 3));
    ASSERT_TRUE(w.write(1, "before\n", 1));
    std::atomic<bool> done{false};
    std::thread writer([&] {
        for (int i = 0; i < 600; i++) {
            ASSERT_TRUE(w.write(i % 3 ? 1 : 2, fmt::format("line {}\n", i), 100 + i));
            if (i % 50 == 0) ::usleep(20000);
        }
        done = true;
    });
    std::vector<std::string> got;
    LogReadOptions o;
    o.follow = true;
    auto st = readLog(
        path_, 3, o,
        [&](int, std::string_view l, int64_t) {
            got.emplace_back(l);
            return true;
        },
        [&] { return done.load(); });
    writer.join();
    ASSERT_TRUE(st) << st.error().str();
    ASSERT_EQ(got.size(), 601u);
    EXPECT_EQ(got[0], "before\n");
    for (int i = 0; i < 600; i++) EXPECT_EQ(got[i + 1], fmt::format("line {}\n", i));
}

// The follower falls so far behind that the file it was reading is rotated out of existence:
// the rotated file that is left is newer than it and is read before the current one.
TEST_F(Log, FollowAfterItsFileWasRotatedAway) {
    LogWriter w;
    ASSERT_TRUE(w.open(path_, 10, 2));  // every entry is over 10 bytes: one per file
    ASSERT_TRUE(w.write(1, "a\n", 1));
    std::vector<std::string> got;
    LogReadOptions o;
    o.follow = true;
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(2);
    auto st = readLog(
        path_, 2, o,
        [&](int, std::string_view l, int64_t) {
            got.emplace_back(l);
            if (got.size() == 1) {
                // Two rotations before the follower looks again: a's file is deleted.
                EXPECT_TRUE(w.write(1, "b\n", 2));
                EXPECT_TRUE(w.write(1, "c\n", 3));
            }
            return true;
        },
        [&] { return got.size() >= 3 || std::chrono::steady_clock::now() > deadline; });
    ASSERT_TRUE(st) << st.error().str();
    EXPECT_EQ(got, (V{"a\n", "b\n", "c\n"}));
}

TEST_F(Log, FollowStopsWhenTheSinkSaysSo) {
    LogWriter w;
    ASSERT_TRUE(w.open(path_, 0, 1));
    ASSERT_TRUE(w.write(1, "a\nb\n", 1));
    LogReadOptions o;
    o.follow = true;
    o.tail = 1;
    std::vector<std::string> got;
    std::thread writer([&] {
        ::usleep(50000);
        ASSERT_TRUE(w.write(1, "c\n", 2));
    });
    auto st = readLog(
        path_, 1, o,
        [&](int, std::string_view l, int64_t) {
            got.emplace_back(l);
            return got.size() < 2;
        },
        [] { return false; });
    writer.join();
    ASSERT_TRUE(st);
    EXPECT_EQ(got, (V{"b\n", "c\n"}));
}

}  // namespace
}  // namespace berth::monitor
