#include "compose/values.h"

#include <gtest/gtest.h>

namespace berth::compose {
namespace {

using Words = std::vector<std::string>;

Words split(std::string_view s) {
    auto r = shellSplit(s);
    EXPECT_TRUE(r.ok()) << s << ": " << r.error().str();
    return r.ok() ? r.value() : Words{"<error>"};
}

TEST(ShellSplit, Words) {
    EXPECT_EQ(split(""), Words{});
    EXPECT_EQ(split("   \t\n "), Words{});
    EXPECT_EQ(split("echo"), Words{"echo"});
    EXPECT_EQ(split("  npm   run  start "), (Words{"npm", "run", "start"}));
    EXPECT_EQ(split("a\tb\nc"), (Words{"a", "b", "c"}));
}

TEST(ShellSplit, Quotes) {
    EXPECT_EQ(split("sh -c 'echo hi'"), (Words{"sh", "-c", "echo hi"}));
    EXPECT_EQ(split("sh -c \"echo $HOME\""), (Words{"sh", "-c", "echo $HOME"}));
    EXPECT_EQ(split("a'b c'd"), Words{"ab cd"});
    EXPECT_EQ(split("\"a\"'b'c"), Words{"abc"});
    EXPECT_EQ(split("'' \"\" x"), (Words{"", "", "x"}));
    EXPECT_EQ(split("'it\"s'"), Words{"it\"s"});
    EXPECT_EQ(split("\"it's\""), Words{"it's"});
    EXPECT_EQ(split("'a\\nb'"), Words{"a\\nb"});  // single quotes: backslash literal
    EXPECT_EQ(split("bash -c 'for i in 1 2; do echo $i; done'"),
              (Words{"bash", "-c", "for i in 1 2; do echo $i; done"}));
}

TEST(ShellSplit, Backslashes) {
    EXPECT_EQ(split("a\\ b c"), (Words{"a b", "c"}));
    EXPECT_EQ(split("\\'x\\'"), Words{"'x'"});
    EXPECT_EQ(split("\"a\\\"b\\\\c\\$d\\`e\\nf\""), Words{"a\"b\\c$d`e\\nf"});
    EXPECT_EQ(split("one \\\n two"), (Words{"one", "two"}));
    EXPECT_EQ(split("ab\\\ncd"), Words{"abcd"});
    EXPECT_EQ(split("\"ab\\\ncd\""), Words{"abcd"});
    EXPECT_EQ(split("x\\"), Words{"x\\"});
}

TEST(ShellSplit, UnterminatedQuoteIsAnError) {
    for (const char* s : {"sh -c 'echo", "\"abc", "a \"b\\\"", "'"}) {
        auto r = shellSplit(s);
        ASSERT_FALSE(r.ok()) << s;
        EXPECT_EQ(r.error().str(), std::string("unterminated quoted string in \"") + s + "\"");
    }
}

int64_t bytes(std::string_view s) {
    auto r = parseBytes(s);
    EXPECT_TRUE(r.ok()) << s << ": " << r.error().str();
    return r.ok() ? r.value() : -1;
}

TEST(ParseBytes, RamInBytesForms) {
    EXPECT_EQ(bytes("0"), 0);
    EXPECT_EQ(bytes("512"), 512);
    EXPECT_EQ(bytes("32b"), 32);
    EXPECT_EQ(bytes("32B"), 32);
    EXPECT_EQ(bytes("32k"), 32 * 1024);
    EXPECT_EQ(bytes("32K"), 32 * 1024);
    EXPECT_EQ(bytes("32kb"), 32 * 1024);
    EXPECT_EQ(bytes("32Kib"), 32 * 1024);
    EXPECT_EQ(bytes("32KIB"), 32 * 1024);
    EXPECT_EQ(bytes("64m"), 67108864);
    EXPECT_EQ(bytes("64MB"), 67108864);
    EXPECT_EQ(bytes("64MiB"), 67108864);
    EXPECT_EQ(bytes("1g"), 1073741824);
    EXPECT_EQ(bytes("1GiB"), 1073741824);
    EXPECT_EQ(bytes("1.5g"), 1610612736);
    EXPECT_EQ(bytes("0.5k"), 512);
    EXPECT_EQ(bytes("1.3k"), 1331);  // truncated
    EXPECT_EQ(bytes("2t"), int64_t{2} << 40);
    EXPECT_EQ(bytes("3p"), int64_t{3} << 50);
    EXPECT_EQ(bytes("100 MB"), 100 * 1048576);
    EXPECT_EQ(bytes("1.5"), 1);
    EXPECT_EQ(bytes(".5m"), 524288);
}

TEST(ParseBytes, ErrorsNameTheText) {
    for (const char* s : {"", "m", "abc", "-1", "-1m", "64x", "64mm", "64mbb", "64ix", "64kbi",
                          "1bb", "1 2m", "64m ", " 64m", "1..5m", "1e", "10000000p"}) {
        auto r = parseBytes(s);
        ASSERT_FALSE(r.ok()) << s << " = " << r.value();
        // go-units' wording: the size, the suffix or strconv's complaint about the number.
        std::string m = r.error().str();
        EXPECT_TRUE(m.rfind("invalid size: '", 0) == 0 || m.rfind("invalid suffix: '", 0) == 0 ||
                    m.rfind("strconv.ParseFloat: parsing \"", 0) == 0)
            << s << ": " << m;
    }
}

int64_t dur(std::string_view s) {
    auto r = parseDurationNs(s);
    EXPECT_TRUE(r.ok()) << s << ": " << r.error().str();
    return r.ok() ? r.value() : -1;
}

constexpr int64_t kMs = 1000000;
constexpr int64_t kSec = 1000 * kMs;

TEST(ParseDuration, GoForms) {
    EXPECT_EQ(dur("0"), 0);
    EXPECT_EQ(dur("-0"), 0);
    EXPECT_EQ(dur("+0"), 0);
    EXPECT_EQ(dur("0s"), 0);
    EXPECT_EQ(dur("5s"), 5 * kSec);
    EXPECT_EQ(dur("30s"), 30 * kSec);
    EXPECT_EQ(dur("1478s"), 1478 * kSec);
    EXPECT_EQ(dur("-5s"), -5 * kSec);
    EXPECT_EQ(dur("+5s"), 5 * kSec);
    EXPECT_EQ(dur("1.5s"), 1500 * kMs);
    EXPECT_EQ(dur("1.s"), kSec);
    EXPECT_EQ(dur(".5s"), 500 * kMs);
    EXPECT_EQ(dur("300ms"), 300 * kMs);
    EXPECT_EQ(dur("10ns"), 10);
    EXPECT_EQ(dur("11us"), 11000);
    EXPECT_EQ(dur("12\xC2\xB5s"), 12000);
    EXPECT_EQ(dur("13\xCE\xBCs"), 13000);
    EXPECT_EQ(dur("1m30s"), 90 * kSec);
    EXPECT_EQ(dur("2h45m"), (2 * 3600 + 45 * 60) * kSec);
    EXPECT_EQ(dur("-1.5h"), -5400 * kSec);
    EXPECT_EQ(dur("1h1m1s1ms1us1ns"), 3661 * kSec + kMs + 1000 + 1);
    EXPECT_EQ(dur("39h9m14.425s"), 140954425 * kMs);
    EXPECT_EQ(dur("0.3333333333333333333h"), 20 * 60 * kSec);
    EXPECT_EQ(dur("9223372036854775807ns"), INT64_MAX);
    EXPECT_EQ(dur("-9223372036854775808ns"), INT64_MIN);
    EXPECT_EQ(dur("0.100000000000000000000h"), 6 * 60 * kSec);
}

TEST(ParseDuration, Errors) {
    auto msg = [](std::string_view s) {
        auto r = parseDurationNs(s);
        EXPECT_FALSE(r.ok()) << s;
        return r.ok() ? std::string() : r.error().str();
    };
    EXPECT_EQ(msg(""), "time: invalid duration \"\"");
    EXPECT_EQ(msg("3"), "time: missing unit in duration \"3\"");
    EXPECT_EQ(msg("-1"), "time: missing unit in duration \"-1\"");
    EXPECT_EQ(msg("1s2"), "time: missing unit in duration \"1s2\"");
    EXPECT_EQ(msg("1d"), "time: unknown unit \"d\" in duration \"1d\"");
    EXPECT_EQ(msg("1sec"), "time: unknown unit \"sec\" in duration \"1sec\"");
    EXPECT_EQ(msg("1S"), "time: unknown unit \"S\" in duration \"1S\"");
    EXPECT_EQ(msg("s"), "time: invalid duration \"s\"");
    EXPECT_EQ(msg("."), "time: invalid duration \".\"");
    EXPECT_EQ(msg(".s"), "time: invalid duration \".s\"");
    EXPECT_EQ(msg("-"), "time: invalid duration \"-\"");
    EXPECT_EQ(msg(" 1s"), "time: invalid duration \" 1s\"");
    EXPECT_EQ(msg("1 s"), "time: unknown unit \" s\" in duration \"1 s\"");
    EXPECT_EQ(msg("9223372036854775808ns"), "time: invalid duration \"9223372036854775808ns\"");
    EXPECT_EQ(msg("3000000h"), "time: invalid duration \"3000000h\"");
}

TEST(FormatDuration, GoString) {
    EXPECT_EQ(formatDuration(0), "0s");
    EXPECT_EQ(formatDuration(1), "1ns");
    EXPECT_EQ(formatDuration(999), "999ns");
    EXPECT_EQ(formatDuration(1100), "1.1\xC2\xB5s");
    EXPECT_EQ(formatDuration(2200 * 1000), "2.2ms");
    EXPECT_EQ(formatDuration(300 * kMs), "300ms");
    EXPECT_EQ(formatDuration(kSec), "1s");
    EXPECT_EQ(formatDuration(1500 * kMs), "1.5s");
    EXPECT_EQ(formatDuration(90 * kSec), "1m30s");
    EXPECT_EQ(formatDuration(60 * kSec), "1m0s");
    EXPECT_EQ(formatDuration(3600 * kSec), "1h0m0s");
    EXPECT_EQ(formatDuration((2 * 3600 + 45 * 60) * kSec), "2h45m0s");
    EXPECT_EQ(formatDuration(3661 * kSec + 1), "1h1m1.000000001s");
    EXPECT_EQ(formatDuration(-5 * kSec), "-5s");
    EXPECT_EQ(formatDuration(-1), "-1ns");
    EXPECT_EQ(formatDuration(INT64_MAX), "2562047h47m16.854775807s");
    EXPECT_EQ(formatDuration(INT64_MIN), "-2562047h47m16.854775808s");
}

TEST(FormatDuration, RoundTrips) {
    for (const char* s :
         {"1m30s", "1.5s", "300ms", "2h45m0s", "-1h30m0s", "10ns", "1.25\xC2\xB5s"}) {
        auto r = parseDurationNs(s);
        ASSERT_TRUE(r.ok()) << s;
        EXPECT_EQ(formatDuration(r.value()), s);
    }
}

}  // namespace
}  // namespace berth::compose
