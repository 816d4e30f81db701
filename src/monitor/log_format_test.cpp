#include "monitor/log_format.h"

#include <gtest/gtest.h>

namespace berth::monitor::logfmt {
namespace {

constexpr int64_t kT = 1795600000LL * 1000000000;  // 2026-11-25T09:46:40Z

std::string fmtTime(int64_t ns) {
    char buf[48];
    return std::string(buf, formatTime(ns, buf));
}

TEST(LogFormat, TimeIsRfc3339NanoWithTrailingZerosTrimmed) {
    EXPECT_EQ(fmtTime(kT), "2026-11-25T09:46:40Z");
    EXPECT_EQ(fmtTime(kT + 123456789), "2026-11-25T09:46:40.123456789Z");
    EXPECT_EQ(fmtTime(kT + 120000000), "2026-11-25T09:46:40.12Z");
    EXPECT_EQ(fmtTime(kT + 1), "2026-11-25T09:46:40.000000001Z");
    EXPECT_EQ(fmtTime(0), "1970-01-01T00:00:00Z");
    EXPECT_EQ(fmtTime(951782400LL * 1000000000), "2000-02-29T00:00:00Z");  // leap day
}

TEST(LogFormat, ParseTime) {
    int64_t ns = 0;
    ASSERT_TRUE(parseTime("2026-11-25T09:46:40.123456789Z", &ns));
    EXPECT_EQ(ns, kT + 123456789);
    ASSERT_TRUE(parseTime("2026-11-25T09:46:40Z", &ns));
    EXPECT_EQ(ns, kT);
    ASSERT_TRUE(parseTime("2026-11-25T11:46:40.5+02:00", &ns));
    EXPECT_EQ(ns, kT + 500000000);
    ASSERT_TRUE(parseTime("2026-11-25T09:46:40.1234567891234Z", &ns));  // extra digits dropped
    EXPECT_EQ(ns, kT + 123456789);
    EXPECT_FALSE(parseTime("2026-11-25 05:46", &ns));
    EXPECT_FALSE(parseTime("2026-11-25T09:46:40", &ns));  // no zone
    EXPECT_FALSE(parseTime("2026-13-25T09:46:40Z", &ns));
    for (int64_t t : {int64_t{0}, kT, kT + 999999999, int64_t{4102444800} * 1000000000 + 7}) {
        ASSERT_TRUE(parseTime(fmtTime(t), &ns));
        EXPECT_EQ(ns, t);
    }
}

TEST(LogFormat, EntryAsDockerWritesIt) {
    std::string out;
    appendEntry(out, 1, "hello\n", kT + 5);
    EXPECT_EQ(out,
              "{\"log\":\"hello\\n\",\"stream\":\"stdout\",\"time\":\"2026-11-25T09:46:40."
              "000000005Z\"}\n");
    out.clear();
    appendEntry(out, 2, "a\"b\\c\t\r\x01<&>", kT);
    EXPECT_EQ(out,
              "{\"log\":\"a\\\"b\\\\c\\t\\r\\u0001\\u003c\\u0026\\u003e\",\"stream\":"
              "\"stderr\",\"time\":\"2026-11-25T09:46:40Z\"}\n");
}

TEST(LogFormat, InvalidUtf8BecomesReplacementChar) {
    std::string out;
    appendEntry(out, 1, "ok \xc3\xa9 bad \xff\xc3 end \xe2\x80\xa8", kT);
    EXPECT_NE(out.find("ok \xc3\xa9 bad \\ufffd\\ufffd end \\u2028"), std::string::npos) << out;
    out.clear();
    appendEntry(out, 1, "\xed\xa0\x80 \xc0\xaf", kT);  // a surrogate and an overlong '/'
    EXPECT_NE(out.find("\\ufffd\\ufffd\\ufffd \\ufffd\\ufffd"), std::string::npos) << out;
}

TEST(LogFormat, RoundTrip) {
    std::string text = "x\"\\\n\t\x7f \xc3\xa9\xf0\x9f\x98\x80 <>&";
    std::string out;
    appendEntry(out, 2, text, kT + 42);
    out.pop_back();  // the newline
    Entry e;
    ASSERT_TRUE(decodeEntry(out, e));
    EXPECT_EQ(e.stream, 2);
    EXPECT_EQ(e.text, text);
    EXPECT_EQ(e.timeNs, kT + 42);
}

TEST(LogFormat, DecodeOtherWriters) {
    Entry e;
    // Any key order, extra fields (docker's attrs), \u escapes incl. surrogate pairs.
    ASSERT_TRUE(
        decodeEntry("{\"time\":\"2026-11-25T09:46:40Z\", \"attrs\":{\"a\":[1,\"}\"]},"
                    "\"stream\":\"stderr\",\"log\":\"\\u00e9\\ud83d\\ude00\\/\"}",
                    e));
    EXPECT_EQ(e.stream, 2);
    EXPECT_EQ(e.text, "\xc3\xa9\xf0\x9f\x98\x80/");
    EXPECT_EQ(e.timeNs, kT);
    EXPECT_FALSE(decodeEntry("", e));
    EXPECT_FALSE(decodeEntry("{\"log\":\"x\",\"stream\":\"stdout\"}", e));  // no time
    EXPECT_FALSE(decodeEntry("{\"log\":\"x\",\"stream\":\"stdout\",\"time\":\"2026", e));
    EXPECT_FALSE(decodeEntry("{\"log\":\"x\\q\",\"time\":\"2026-11-25T09:46:40Z\"}", e));
}

}  // namespace
}  // namespace berth::monitor::logfmt
