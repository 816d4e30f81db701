#include "cli/units.h"

#include <gtest/gtest.h>

namespace berth::cli {
namespace {

TEST(Units, HumanSize) {
    EXPECT_EQ(humanSize(0), "0B");
    EXPECT_EQ(humanSize(999), "999B");
    EXPECT_EQ(humanSize(1000), "1kB");
    EXPECT_EQ(humanSize(1234), "1.234kB");
    EXPECT_EQ(humanSize(1230), "1.23kB");
    EXPECT_EQ(humanSize(4260000), "4.26MB");
    EXPECT_EQ(humanSize(5.6e9), "5.6GB");
    EXPECT_EQ(humanSize(123456789), "123.5MB");
    EXPECT_EQ(humanSize(7.8e12), "7.8TB");
    EXPECT_EQ(humanSize(1e27), "1000YB");
}

TEST(Units, BytesSize) {
    EXPECT_EQ(bytesSize(0), "0B");
    EXPECT_EQ(bytesSize(512), "512B");
    EXPECT_EQ(bytesSize(1024), "1KiB");
    EXPECT_EQ(bytesSize(1.5 * 1024 * 1024), "1.5MiB");
    EXPECT_EQ(bytesSize(2.0 * 1024 * 1024 * 1024), "2GiB");
    EXPECT_EQ(bytesSize(1023), "1023B");
    EXPECT_EQ(bytesSize(7.3e9), "6.799GiB");
}

TEST(Units, HumanDuration) {
    EXPECT_EQ(humanDuration(0), "Less than a second");
    EXPECT_EQ(humanDuration(0.9), "Less than a second");
    EXPECT_EQ(humanDuration(1), "1 second");
    EXPECT_EQ(humanDuration(12), "12 seconds");
    EXPECT_EQ(humanDuration(59), "59 seconds");
    EXPECT_EQ(humanDuration(60), "About a minute");
    EXPECT_EQ(humanDuration(119), "About a minute");
    EXPECT_EQ(humanDuration(180), "3 minutes");
    EXPECT_EQ(humanDuration(59 * 60 + 59), "59 minutes");
    EXPECT_EQ(humanDuration(3600), "About an hour");
    EXPECT_EQ(humanDuration(3600 + 29 * 60), "About an hour");
    EXPECT_EQ(humanDuration(3600 + 30 * 60), "2 hours");  // rounded to the nearest hour
    EXPECT_EQ(humanDuration(47 * 3600), "47 hours");
    EXPECT_EQ(humanDuration(48 * 3600), "2 days");
    EXPECT_EQ(humanDuration(13 * 86400), "13 days");
    EXPECT_EQ(humanDuration(14 * 86400), "2 weeks");
    EXPECT_EQ(humanDuration(59 * 86400), "8 weeks");
    EXPECT_EQ(humanDuration(60 * 86400), "2 months");
    EXPECT_EQ(humanDuration(729 * 86400), "24 months");
    EXPECT_EQ(humanDuration(730 * 86400), "2 years");
    EXPECT_EQ(humanDuration(-5), "Less than a second");
}

TEST(Units, TimeAgo) {
    EXPECT_EQ(timeAgo(1000, 1000), "Less than a second ago");
    EXPECT_EQ(timeAgo(1000, 1000 + 3 * 3600), "3 hours ago");
}

TEST(Units, ParseBytes) {
    EXPECT_EQ(*parseBytes("1024"), 1024);
    EXPECT_EQ(*parseBytes("512m"), 512LL << 20);
    EXPECT_EQ(*parseBytes("512M"), 512LL << 20);
    EXPECT_EQ(*parseBytes("1g"), 1LL << 30);
    EXPECT_EQ(*parseBytes("1GB"), 1LL << 30);
    EXPECT_EQ(*parseBytes("1GiB"), 1LL << 30);
    EXPECT_EQ(*parseBytes("100k"), 100 * 1024);
    EXPECT_EQ(*parseBytes("1.5g"), 3LL << 29);
    EXPECT_EQ(*parseBytes("2t"), 2LL << 40);
    EXPECT_EQ(*parseBytes("10b"), 10);
    EXPECT_EQ(*parseBytes("32 kb"), 32 * 1024);
    EXPECT_EQ(*parseBytes("0"), 0);
    // Messages as `docker run -m` prints them.
    EXPECT_EQ(parseBytes("1x").error().msg, "invalid suffix: 'x'");
    EXPECT_EQ(parseBytes("1.5.5g").error().msg,
              "strconv.ParseFloat: parsing \"1.5.5\": invalid syntax");
    EXPECT_EQ(parseBytes("-1").error().msg, "invalid size: '-1'");
    EXPECT_EQ(parseBytes("g").error().msg, "invalid size: 'g'");
    EXPECT_EQ(parseBytes("").error().msg, "invalid size: ''");
    EXPECT_EQ(parseBytes("1bb").error().msg, "invalid suffix: 'bb'");
    EXPECT_EQ(parseBytes("1kx").error().msg, "invalid suffix: 'kx'");
    EXPECT_EQ(parseBytes("1kibb").error().msg, "invalid suffix: 'kibb'");
}

TEST(Units, ParseDuration) {
    EXPECT_DOUBLE_EQ(*parseDurationSeconds("10s"), 10);
    EXPECT_DOUBLE_EQ(*parseDurationSeconds("1m30s"), 90);
    EXPECT_DOUBLE_EQ(*parseDurationSeconds("500ms"), 0.5);
    EXPECT_DOUBLE_EQ(*parseDurationSeconds("2h"), 7200);
    EXPECT_DOUBLE_EQ(*parseDurationSeconds("-1.5h"), -5400);
    EXPECT_DOUBLE_EQ(*parseDurationSeconds("1h2m3.5s"), 3723.5);
    EXPECT_DOUBLE_EQ(*parseDurationSeconds("250us"), 250e-6);
    EXPECT_DOUBLE_EQ(*parseDurationSeconds("0"), 0);
    EXPECT_DOUBLE_EQ(*parseDurationSeconds(".5s"), 0.5);
    EXPECT_EQ(parseDurationSeconds("10").error().msg, "time: missing unit in duration \"10\"");
    EXPECT_EQ(parseDurationSeconds("1d").error().msg,
              "time: unknown unit \"d\" in duration \"1d\"");
    EXPECT_EQ(parseDurationSeconds("").error().msg, "time: invalid duration \"\"");
    EXPECT_EQ(parseDurationSeconds("abc").error().msg, "time: invalid duration \"abc\"");
    EXPECT_FALSE(parseDurationSeconds("-"));
}

TEST(Units, ParseTimestamp) {
    int64_t now = 1700000000;
    EXPECT_EQ(*parseTimestamp("10m", now), now - 600);
    EXPECT_EQ(*parseTimestamp("1h30m", now), now - 5400);
    EXPECT_EQ(*parseTimestamp("1700000123", now), 1700000123);
    EXPECT_EQ(*parseTimestamp("1700000123.456", now), 1700000123);
    EXPECT_EQ(*parseTimestamp("0", now), 0);
    EXPECT_EQ(*parseTimestamp("2023-11-14T22:13:20Z", now), 1700000000);
    EXPECT_EQ(*parseTimestamp("2023-11-14T22:13:20.123456789Z", now), 1700000000);
    EXPECT_EQ(*parseTimestamp("2023-11-14T23:13:20+01:00", now), 1700000000);
    EXPECT_EQ(*parseTimestamp("2023-11-14T21:13:20-01:00", now), 1700000000);
    EXPECT_EQ(*parseTimestamp("2023-11-14Z", now), 1699920000);
    // No zone: local time at the offset `now` has.
    setenv("TZ", "UTC", 1);
    tzset();
    EXPECT_EQ(*parseTimestamp("2023-11-14", now), 1699920000);
    EXPECT_EQ(*parseTimestamp("2023-11-14T22", now), 1699999200);
    EXPECT_EQ(*parseTimestamp("2023-11-14T22:13", now), 1699999980);
    EXPECT_EQ(*parseTimestamp("2023-11-14T22:13:20", now), 1700000000);
    EXPECT_EQ(*parseTimestamp("2023-11-14T22:13:20.5", now), 1700000000);
    EXPECT_FALSE(parseTimestamp("2023-13-14", now));
    EXPECT_FALSE(parseTimestamp("2023-11-14T25:00:00Z", now));
    EXPECT_EQ(parseTimestamp("yesterday", now).error().msg,
              "failed to parse value as time or duration: \"yesterday\"");
    EXPECT_FALSE(parseTimestamp("12a", now));
}

TEST(Units, TruncateId) {
    EXPECT_EQ(truncateId("sha256:0123456789abcdef0123"), "0123456789ab");
    EXPECT_EQ(truncateId("0123456789abcdef"), "0123456789ab");
    EXPECT_EQ(truncateId("abc"), "abc");
    EXPECT_EQ(truncateId(""), "");
}

TEST(Units, Ellipsis) {
    EXPECT_EQ(ellipsis("hello world", 5), "hell\u2026");
    EXPECT_EQ(ellipsis("hello", 5), "hello");
    EXPECT_EQ(ellipsis("hello", 10), "hello");
    EXPECT_EQ(ellipsis("hello", 1), "h");
    EXPECT_EQ(ellipsis("hello", 0), "");
    EXPECT_EQ(ellipsis("", 3), "");
    // Wide characters count two columns.
    EXPECT_EQ(ellipsis("\u4f60\u597d\u4e16\u754c", 5), "\u4f60\u597d\u2026");
    EXPECT_EQ(ellipsis("\u4f60\u597d", 4), "\u4f60\u597d");
    EXPECT_EQ(ellipsis("caf\u00e9 latte", 6), "caf\u00e9 \u2026");
}

TEST(Units, DisplayWidth) {
    EXPECT_EQ(displayWidth("abc"), 3u);
    EXPECT_EQ(displayWidth("caf\u00e9"), 4u);
    EXPECT_EQ(displayWidth("\u4f60\u597d"), 4u);
    EXPECT_EQ(displayWidth("e\u0301"), 1u);
    EXPECT_EQ(displayWidth(""), 0u);
}

}  // namespace
}  // namespace berth::cli
