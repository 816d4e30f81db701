#include <gtest/gtest.h>

#include "api/context.h"

namespace berth::api {
namespace {

Status nop(Context&, Exchange&) {
    return {};
}

TEST(Router, CapturesImageNamesWithSlashes) {
    Router r;
    r.add("GET", "/images/json", nop);
    r.add("GET", "/images/{*}/json", nop);
    r.add("DELETE", "/images/{*}", nop);
    r.add("GET", "/containers/{}/json", nop);
    std::vector<std::string> p;
    bool known = false;
    ASSERT_NE(r.match("GET", "/images/json", p, known), nullptr);
    EXPECT_TRUE(p.empty());
    ASSERT_NE(r.match("GET", "/images/localhost:5000/a/b:1/json", p, known), nullptr);
    ASSERT_EQ(p.size(), 1u);
    EXPECT_EQ(p[0], "localhost:5000/a/b:1");
    ASSERT_NE(r.match("DELETE", "/images/x/y", p, known), nullptr);
    EXPECT_EQ(p[0], "x/y");
    EXPECT_EQ(r.match("GET", "/containers/a/b/json", p, known), nullptr);
    EXPECT_EQ(r.match("POST", "/containers/a/json", p, known), nullptr);
    EXPECT_TRUE(known);  // 405, not 404
    EXPECT_NE(r.match("HEAD", "/containers/a/json", p, known), nullptr);
}

TEST(Query, Timestamps) {
    EXPECT_EQ(*parseTimestamp("1700000000"), 1700000000LL * 1000000000);
    EXPECT_EQ(*parseTimestamp("1700000000.5"), 1700000000LL * 1000000000 + 500000000);
    EXPECT_EQ(*parseTimestamp("2023-11-14T22:13:20Z"), 1700000000LL * 1000000000);
    EXPECT_EQ(*parseTimestamp("2023-11-14T23:13:20.25+01:00"),
              1700000000LL * 1000000000 + 250000000);
    EXPECT_FALSE(parseTimestamp("yesterday").ok());
    EXPECT_EQ(rfc3339Nano(1700000000LL * 1000000000 + 5), "2023-11-14T22:13:20.000000005Z");
}

TEST(Query, Base64RoundTrip) {
    for (std::string s : {"", "a", "ab", "abc", "{\"name\":\"x\"}"})
        EXPECT_EQ(*base64Decode(base64Encode(s)), s);
}

TEST(Query, BoolValue) {
    Request r;
    for (auto [v, want] : std::vector<std::pair<std::string, bool>>{{"1", true},
                                                                    {"true", true},
                                                                    {"True", true},
                                                                    {"yes", true},
                                                                    {"", false},
                                                                    {"0", false},
                                                                    {"no", false},
                                                                    {"false", false},
                                                                    {"none", false},
                                                                    {"FALSE", false}}) {
        r.query["x"] = {v};
        EXPECT_EQ(r.qBool("x"), want) << v;
    }
    EXPECT_TRUE(r.qBool("absent", true));
}

}  // namespace
}  // namespace berth::api
