// docker's jsonmessage rendering, both modes, against a pipe: objects cut across chunks, per-id
// lines redrawn in place on a terminal, progress lines left out elsewhere, errors and aux.
#include "cli/jsonmessage.h"
#include "cli/units.h"

#include <unistd.h>

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>

#include "common/unique_fd.h"

namespace berth::cli {
namespace {

// Runs `input` through a JsonMessageStream in chunks of `chunk` bytes; returns the output.
struct Run {
    std::string out;
    std::string error;
    std::string auxId;
    std::vector<std::string> aux;
    Status finish;
};

Run render(const std::string& input, bool terminal, size_t chunk = 1 << 20, int width = 200) {
    int p[2];
    EXPECT_EQ(::pipe(p), 0);
    UniqueFd r(p[0]), w(p[1]);
    JsonMessageOptions o;
    o.outFd = w.get();
    o.terminal = terminal;
    o.width = width;
    o.nowSec = 1000;
    Run res;
    JsonMessageStream s(o);
    for (size_t i = 0; i < input.size(); i += chunk) {
        EXPECT_TRUE(s.feed(input.substr(i, chunk)).ok());
    }
    res.finish = s.finish();
    res.error = s.error();
    res.auxId = s.auxId();
    res.aux = s.aux();
    w.reset();
    char buf[4096];
    for (ssize_t n; (n = ::read(r.get(), buf, sizeof buf)) > 0;) res.out.append(buf, n);
    return res;
}

// docker's bar for `pct` of 50 steps, with its trailing space.
std::string bar(int pct) {
    return "[" + std::string(pct, '=') + ">" + std::string(50 - pct, ' ') + "] ";
}

const std::string kPull =
    R"({"status":"Pulling from library/alpine","id":"latest"})"
    "\r\n"
    R"({"status":"Pulling fs layer","progressDetail":{},"id":"aaa"})"
    "\r\n"
    R"({"status":"Pulling fs layer","progressDetail":{},"id":"bbb"})"
    "\r\n"
    R"({"status":"Downloading","progressDetail":{"current":1000,"total":4000},"progress":"[==> ]","id":"aaa"})"
    "\r\n"
    R"({"status":"Download complete","progressDetail":{},"id":"bbb"})"
    "\r\n"
    R"({"status":"Pull complete","progressDetail":{},"id":"aaa"})"
    "\r\n"
    R"({"status":"Digest: sha256:abc"})"
    "\r\n"
    R"({"status":"Status: Downloaded newer image for alpine:latest"})"
    "\r\n";

TEST(JsonMessage, PlainLinesOffATerminal) {
    auto r = render(kPull, false);
    EXPECT_EQ(r.out,
              "latest: Pulling from library/alpine\n"
              "aaa: Pulling fs layer\n"
              "bbb: Pulling fs layer\n"
              "bbb: Download complete\n"
              "aaa: Pull complete\n"
              "Digest: sha256:abc\n"
              "Status: Downloaded newer image for alpine:latest\n");
    EXPECT_TRUE(r.finish.ok());
    EXPECT_EQ(r.error, "");
}

TEST(JsonMessage, ObjectsCutAnywhere) {
    auto whole = render(kPull, false);
    for (size_t chunk : {1u, 2u, 3u, 7u, 64u}) {
        EXPECT_EQ(render(kPull, false, chunk).out, whole.out) << chunk;
        EXPECT_EQ(render(kPull, true, chunk).out, render(kPull, true).out) << chunk;
    }
    // Braces and quotes inside strings do not confuse the splitter.
    std::string tricky = R"({"stream":"a {\"b\"} ]}\\"}{"stream":"c\n"})";
    EXPECT_EQ(render(tricky, false, 1).out, "a {\"b\"} ]}\\c\n");
}

TEST(JsonMessage, TerminalRedrawsLinesInPlace) {
    auto r = render(kPull, true);
    std::string want =
        // No id bookkeeping for a message without progress: a plain line.
        "latest: Pulling from library/alpine\n"
        // New id: a fresh line, cursor up to it, erase, write, back down.
        "\n\x1b[1A\x1b[2K\raaa: Pulling fs layer \r\x1b[1B"
        "\n\x1b[1A\x1b[2K\rbbb: Pulling fs layer \r\x1b[1B"
        // aaa is two lines up.
        "\x1b[2A\x1b[2K\raaa: Downloading " +
        bar(12) +
        "     1kB/4kB\r\x1b[2B"
        "\x1b[1A\x1b[2K\rbbb: Download complete \r\x1b[1B"
        "\x1b[2A\x1b[2K\raaa: Pull complete \r\x1b[2B"
        "Digest: sha256:abc\n"
        "Status: Downloaded newer image for alpine:latest\n";
    EXPECT_EQ(r.out, want);
}

TEST(JsonMessage, NarrowTerminalHasNoBar) {
    std::string in =
        R"({"status":"Downloading","progressDetail":{"current":500,"total":1000},"id":"x"})";
    auto r = render(in, true, 1 << 20, 80);
    EXPECT_EQ(r.out, "\n\x1b[1A\x1b[2K\rx: Downloading     500B/1kB\r\x1b[1B");
}

TEST(JsonMessage, StreamTextAsIs) {
    std::string in =
        R"({"stream":"Step 1/3 : FROM alpine\n"}{"stream":" ---> abc\n"})"
        R"({"aux":{"ID":"sha256:deadbeef"}}{"stream":"Successfully built deadbeef\n"})";
    for (bool term : {false, true}) {
        auto r = render(in, term);
        EXPECT_EQ(r.out, "Step 1/3 : FROM alpine\n ---> abc\nSuccessfully built deadbeef\n");
        EXPECT_EQ(r.auxId, "sha256:deadbeef");
        ASSERT_EQ(r.aux.size(), 1u);
        EXPECT_EQ(r.aux[0], R"({"ID":"sha256:deadbeef"})");
    }
}

TEST(JsonMessage, AuxCallback) {
    int p[2];
    ASSERT_EQ(::pipe(p), 0);
    UniqueFd rd(p[0]), wr(p[1]);
    std::string tag;
    JsonMessageOptions o;
    o.outFd = wr.get();
    o.onAux = [&](const nlohmann::json& a) { tag = a.value("Tag", ""); };
    JsonMessageStream s(o);
    ASSERT_TRUE(s.feed(R"({"aux":{"Tag":"v1","Digest":"sha256:1","Size":5}})").ok());
    EXPECT_EQ(tag, "v1");
    EXPECT_EQ(s.auxId(), "");
}

TEST(JsonMessage, FirstErrorIsRecordedAndEndsTheOutput) {
    std::string in = R"({"status":"Pulling","id":"a","progressDetail":{}})"
                     R"({"errorDetail":{"message":"manifest unknown"},"error":"manifest unknown"})"
                     R"({"status":"never shown"})"
                     R"({"errorDetail":{"message":"second"}})";
    auto r = render(in, false);
    EXPECT_EQ(r.out, "a: Pulling\n");
    EXPECT_EQ(r.error, "manifest unknown");
    ASSERT_FALSE(r.finish.ok());
    EXPECT_EQ(r.finish.error().msg, "manifest unknown");
    EXPECT_EQ(r.finish.error().str(), "manifest unknown");
    // Only the deprecated field.
    EXPECT_EQ(render(R"({"error":"old style"})", true).error, "old style");
}

TEST(JsonMessage, MalformedAndTruncated) {
    int p[2];
    ASSERT_EQ(::pipe(p), 0);
    UniqueFd rd(p[0]), wr(p[1]);
    JsonMessageOptions o;
    o.outFd = wr.get();
    {
        JsonMessageStream s(o);
        EXPECT_FALSE(s.feed("garbage").ok());
    }
    {
        JsonMessageStream s(o);
        EXPECT_FALSE(s.feed(R"({"status":1,})").ok());
    }
    {
        JsonMessageStream s(o);
        ASSERT_TRUE(s.feed(R"({"status":"cut)").ok());
        EXPECT_FALSE(s.finish().ok());
    }
}

TEST(JsonMessage, IdWithoutProgressResetsTheBlock) {
    // A status with an id but no progress (docker push's "Preparing" has one; "latest: digest"
    // has not) is a plain line and starts a new block of ids.
    std::string in = R"({"status":"Waiting","progressDetail":{},"id":"a"})"
                     R"({"status":"Pushed","id":"b"})"
                     R"({"status":"Waiting","progressDetail":{},"id":"a"})";
    auto r = render(in, true);
    EXPECT_EQ(r.out,
              "\n\x1b[1A\x1b[2K\ra: Waiting \r\x1b[1B"
              "b: Pushed\n"
              "\n\x1b[1A\x1b[2K\ra: Waiting \r\x1b[1B");
}

TEST(JsonMessage, TimeAndFrom) {
    setenv("TZ", "UTC", 1);
    tzset();
    auto r = render(
        R"({"status":"start","id":"c1","from":"alpine","time":86400,"timeNano":86400000000005})",
        false);
    EXPECT_EQ(r.out, "1970-01-02T00:00:00.000000005Z c1: (from alpine) start\n");
}

TEST(JsonProgress, Format) {
    EXPECT_EQ(humanSize(0), "0B");
    EXPECT_EQ(humanSize(999), "999B");
    EXPECT_EQ(humanSize(1000), "1kB");
    EXPECT_EQ(humanSize(12345678), "12.35MB");
    EXPECT_EQ(humanSize(45600000), "45.6MB");
    EXPECT_EQ(humanSize(3.5e9), "3.5GB");

    Progress p;
    EXPECT_EQ(formatProgress(p, 200, 0), "");
    p.current = 12345678;
    EXPECT_EQ(formatProgress(p, 200, 0), " 12.35MB");  // no total: %8v
    p.total = 45600000;
    EXPECT_EQ(formatProgress(p, 200, 0), bar(13) + " 12.35MB/45.6MB");
    EXPECT_EQ(formatProgress(p, 100, 0), " 12.35MB/45.6MB");
    p.current = 50000000;  // wonky: more than the total
    EXPECT_EQ(formatProgress(p, 200, 0), bar(50) + "    50MB");
    p = Progress{};
    p.current = 3;
    p.total = 10;
    p.units = "layers";
    EXPECT_EQ(formatProgress(p, 80, 0), "3/10 layers");
    p.hideCounts = true;
    EXPECT_EQ(formatProgress(p, 80, 0), "");
    p = Progress{};
    p.current = 25;
    p.total = 100;
    p.start = 900;  // 100 s for 25 bytes: 300 s to go
    EXPECT_EQ(formatProgress(p, 80, 1000), "     25B/100B 5m0s");
    EXPECT_EQ(formatProgress(p, 40, 1000), "     25B/100B");
}

}  // namespace
}  // namespace berth::cli
