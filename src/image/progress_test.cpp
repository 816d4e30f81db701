#include "image/progress.h"

#include <gtest/gtest.h>

#include <vector>

namespace berth::image {
namespace {

struct Capture {
    std::string out;
    WriteFn fn() {
        return [this](std::string_view s) -> Status {
            out += s;
            return {};
        };
    }
};

TEST(ProgressJson, DockerShapes) {
    EXPECT_EQ(progressEventJson({"latest", "Pulling from library/busybox"}),
              R"({"status":"Pulling from library/busybox","id":"latest"})");
    EXPECT_EQ(progressEventJson({"a1b2c3d4e5f6", "Pull complete"}),
              R"({"status":"Pull complete","progressDetail":{},"id":"a1b2c3d4e5f6"})");
    EXPECT_EQ(progressEventJson({"", "Digest: sha256:ab"}), R"({"status":"Digest: sha256:ab"})");
    EXPECT_EQ(
        progressEventJson({"a1b2c3d4e5f6", "Downloading", 1234567, 3400000}),
        R"({"status":"Downloading","progressDetail":{"current":1234567,"total":3400000},)"
        R"("progress":"[==================>                                ]  1.235MB/3.4MB",)"
        R"("id":"a1b2c3d4e5f6"})");
    // Go's omitempty drops a zero count; the bar still shows 0B.
    EXPECT_EQ(progressEventJson({"x", "Downloading", 0, 1000}),
              R"({"status":"Downloading","progressDetail":{"total":1000},)"
              R"("progress":"[>                                                  ]       0B/1kB",)"
              R"("id":"x"})");
    ProgressEvent err;
    err.error = "manifest unknown";
    EXPECT_EQ(progressEventJson(err),
              R"({"errorDetail":{"message":"manifest unknown"},"error":"manifest unknown"})");
    ProgressEvent st;
    st.stream = "Step 1/2 : FROM busybox\n";
    EXPECT_EQ(progressEventJson(st), R"({"stream":"Step 1/2 : FROM busybox\n"})");
    ProgressEvent aux;
    aux.aux = R"({"ID":"sha256:ab"})";
    EXPECT_EQ(progressEventJson(aux), R"({"progressDetail":{},"aux":{"ID":"sha256:ab"}})");
}

TEST(ProgressJson, ParseRoundTrip) {
    ProgressEvent e{"abc", "Extracting", 5, 10};
    auto back = parseProgressEventJson(progressEventJson(e));
    ASSERT_TRUE(back);
    EXPECT_EQ(back->id, "abc");
    EXPECT_EQ(back->status, "Extracting");
    EXPECT_EQ(back->current, 5);
    EXPECT_EQ(back->total, 10);
    auto err = parseProgressEventJson(R"({"errorDetail":{"message":"boom"},"error":"boom"})");
    EXPECT_EQ(err->error, "boom");
    auto aux = parseProgressEventJson(R"({"aux":{"ID":"sha256:x"}})");
    EXPECT_EQ(aux->aux, R"({"ID":"sha256:x"})");
    auto plain = parseProgressEventJson(R"({"status":"Digest: x"})");
    EXPECT_EQ(plain->current, -1);
    EXPECT_FALSE(parseProgressEventJson("nope"));
}

TEST(ProgressJson, WriterEmitsOneLinePerEvent) {
    Capture c;
    auto p = makeJsonProgress(c.fn());
    p->emit({"a", "Waiting"});
    p->emit({"", "Status: ok"});
    EXPECT_EQ(c.out,
              "{\"status\":\"Waiting\",\"progressDetail\":{},\"id\":\"a\"}\n"
              "{\"status\":\"Status: ok\"}\n");
}

TEST(ProgressText, PlainPrintsStatusChangesOnly) {
    Capture c;
    auto p = makeTextProgress(c.fn(), false);
    p->emit({"1", "Pulling from bb"});
    p->emit({"aaa", "Pulling fs layer"});
    p->emit({"aaa", "Downloading", 10, 100});
    p->emit({"aaa", "Downloading", 50, 100});
    p->emit({"aaa", "Download complete"});
    p->emit({"", "Digest: sha256:x"});
    EXPECT_EQ(c.out,
              "1: Pulling from bb\naaa: Pulling fs layer\naaa: Downloading\n"
              "aaa: Download complete\nDigest: sha256:x\n");
}

TEST(ProgressText, TerminalRedrawsLinesInPlace) {
    Capture c;
    auto p = makeTextProgress(c.fn(), true, 120);
    p->emit({"aaa", "Pulling fs layer"});
    p->emit({"bbb", "Pulling fs layer"});
    c.out.clear();
    p->emit({"aaa", "Downloading", 500000, 1000000});
    // aaa is two lines up from the cursor: up 2, clear, text, down 2.
    EXPECT_EQ(c.out,
              "\x1b[2A\r\x1b[2Kaaa: Downloading [=========================>"
              "                         ]    500kB/1MB\x1b[2B\r");
    c.out.clear();
    p->emit({"bbb", "Pull complete"});
    EXPECT_EQ(c.out, "\x1b[1A\r\x1b[2Kbbb: Pull complete\x1b[1B\r");
    c.out.clear();
    p->emit({"", "Digest: x"});
    p->emit({"aaa", "Again"});  // a new block after a line without id
    EXPECT_EQ(c.out, "Digest: x\naaa: Again\n");
}

TEST(ProgressText, TerminalNarrowLinesAreCut) {
    Capture c;
    auto p = makeTextProgress(c.fn(), true, 40);
    p->emit({"aaaaaaaaaaaa", "Downloading", 1, 1000000000});
    ASSERT_FALSE(c.out.empty());
    EXPECT_EQ(c.out.back(), '\n');
    EXPECT_LT(c.out.size(), 41u);
    EXPECT_EQ(c.out.rfind("aaaaaaaaaaaa: Downloading [", 0), 0u);
}

}  // namespace
}  // namespace berth::image
