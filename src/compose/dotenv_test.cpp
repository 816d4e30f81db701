#include "compose/dotenv.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <map>

#include "common/sys.h"

namespace berth::compose {
namespace {

std::map<std::string, std::string, std::less<>> gEnv{{"HOME", "/home/u"}, {"SHARED", "outer"}};
Lookup envLookup = [](std::string_view n) -> std::optional<std::string> {
    auto it = gEnv.find(n);
    if (it == gEnv.end()) return std::nullopt;
    return it->second;
};

EnvList parse(std::string_view text, const Lookup& l = envLookup) {
    auto r = parseDotenv(text, ".env", l);
    EXPECT_TRUE(r.ok()) << r.error().str();
    return r.ok() ? r.value() : EnvList{};
}

std::string parseErr(std::string_view text) {
    auto r = parseDotenv(text, "conf/app.env", envLookup);
    EXPECT_FALSE(r.ok()) << text;
    return r.ok() ? std::string() : r.error().str();
}

// The value of the only entry.
std::string one(std::string_view text) {
    auto l = parse(text);
    EXPECT_EQ(l.size(), 1u) << text;
    if (l.size() != 1 || !l[0].second) return "<none>";
    return *l[0].second;
}

using Entry = std::pair<std::string, std::optional<std::string>>;

TEST(Dotenv, BasicFileInOrder) {
    auto l = parse(
        "# a comment\n"
        "\n"
        "B=2\n"
        "A=1\n"
        "   \t\n"
        "  # indented comment\n"
        "C=three words\n");
    EXPECT_EQ(l, (EnvList{Entry{"B", "2"}, Entry{"A", "1"}, Entry{"C", "three words"}}));
}

TEST(Dotenv, EmptyInputs) {
    EXPECT_TRUE(parse("").empty());
    EXPECT_TRUE(parse("\n\n# only comments\n").empty());
    EXPECT_EQ(one("EMPTY="), "");
    EXPECT_EQ(one("EMPTY=  "), "");
    EXPECT_EQ(one("EMPTY=\"\""), "");
    EXPECT_EQ(one("EMPTY=''"), "");
}

TEST(Dotenv, SpacingAndSeparators) {
    EXPECT_EQ(one("FOO =bar"), "bar");
    EXPECT_EQ(one("FOO= bar"), "bar");
    EXPECT_EQ(one("  FOO = bar  "), "bar");
    EXPECT_EQ(one("\tFOO=bar\t"), "bar");
    EXPECT_EQ(one("FOO=foobar="), "foobar=");
    EXPECT_EQ(one("URL=postgres://h:5432/db?sslmode=disable"),
              "postgres://h:5432/db?sslmode=disable");
    EXPECT_EQ(one("OPT: 1"), "1");  // yaml style
    EXPECT_EQ(one("OPT: Foo=bar"), "Foo=bar");
    EXPECT_EQ(one("OPT=1:B"), "1:B");
    EXPECT_EQ(one("FOO.BAR=x"), "x");
    auto l = parse("a.b_C9=1");
    ASSERT_EQ(l.size(), 1u);
    EXPECT_EQ(l[0].first, "a.b_C9");
}

TEST(Dotenv, ExportPrefix) {
    EXPECT_EQ(parse("export A=2"), (EnvList{Entry{"A", "2"}}));
    EXPECT_EQ(parse("  export\tA=2"), (EnvList{Entry{"A", "2"}}));
    EXPECT_EQ(parse("export exportFoo=2"), (EnvList{Entry{"exportFoo", "2"}}));
    EXPECT_EQ(parse("exportFOO=2"), (EnvList{Entry{"exportFOO", "2"}}));
    EXPECT_EQ(parse("export_FOO =2"), (EnvList{Entry{"export_FOO", "2"}}));
    EXPECT_EQ(parse("export=1"), (EnvList{Entry{"export", "1"}}));
    EXPECT_EQ(parse("export A=\"export B\""), (EnvList{Entry{"A", "export B"}}));
}

TEST(Dotenv, InlineComments) {
    EXPECT_EQ(one("FOO=bar # this is foo"), "bar");
    EXPECT_EQ(one("FOO=bar #"), "bar");
    EXPECT_EQ(one("FOO=bar\t#tab"), "bar");
    EXPECT_EQ(one("FOO=123#not-a-comment"), "123#not-a-comment");
    EXPECT_EQ(one("FOO=#not-a-comment"), "#not-a-comment");
    EXPECT_EQ(one("FOO= # only a comment"), "");
    EXPECT_EQ(one("FOO=\"bar#baz\" # comment"), "bar#baz");
    EXPECT_EQ(one("FOO=\"bar#baz\"#"), "bar#baz");
    EXPECT_EQ(one("FOO='bar#baz' # comment"), "bar#baz");
}

TEST(Dotenv, SingleQuotedIsLiteral) {
    EXPECT_EQ(one("A='$HOME ${X:?no} \\n'"), "$HOME ${X:?no} \\n");
    EXPECT_EQ(one("A=' padded  '"), " padded  ");
    EXPECT_EQ(one("A='\"d\"'"), "\"d\"");
    EXPECT_EQ(one("A='line1\nline2'"), "line1\nline2");
}

TEST(Dotenv, DoubleQuotedEscapes) {
    EXPECT_EQ(one("A=\"bar\\nbaz\""), "bar\nbaz");
    EXPECT_EQ(one("A=\"a\\tb\""), "a\tb");
    EXPECT_EQ(one("A=\"a\\\\b\""), "a\\b");
    EXPECT_EQ(one("A=\"escaped\\\"quote\""), "escaped\"quote");
    EXPECT_EQ(one("A=\"\\\"quoted\\\"\""), "\"quoted\"");
    EXPECT_EQ(one("A=\"'d'\""), "'d'");
    EXPECT_EQ(one("A=\"Z\\aZ\\bZ\\fZ\\rZ\\vZ\\0123Z\""), "Z\aZ\bZ\fZ\rZ\vZSZ");
    EXPECT_EQ(one("A=\"\\x07 \\u12e4\""), "\\x07 \\u12e4");  // unknown escapes stay
    EXPECT_EQ(one("A=\"  padded \""), "  padded ");
    EXPECT_EQ(one("A=a\\tb"), "a\\tb");  // no escapes unquoted
}

TEST(Dotenv, DoubleQuotedMultiLine) {
    auto l = parse(
        "CERT=\"-----BEGIN-----\n"
        "abc\n"
        "-----END-----\"\n"
        "NEXT=1\n");
    EXPECT_EQ(l,
              (EnvList{Entry{"CERT", "-----BEGIN-----\nabc\n-----END-----"}, Entry{"NEXT", "1"}}));
}

TEST(Dotenv, BareKeyHasNoValue) {
    auto l = parse("A\nB=1\n  C  \nD # comment\nexport E\n");
    EXPECT_EQ(l, (EnvList{Entry{"A", std::nullopt}, Entry{"B", "1"}, Entry{"C", std::nullopt},
                          Entry{"D", std::nullopt}, Entry{"E", std::nullopt}}));
}

TEST(Dotenv, InterpolationUsesEarlierKeysFirst) {
    auto l = parse(
        "SHARED=inner\n"
        "A=$SHARED\n"
        "B=\"${HOME}/x and $SHARED\"\n"
        "C='$SHARED'\n"
        "D=${NOPE:-dflt}_${A}\n"
        "E=$LATER\n"
        "LATER=late\n"
        "F=\"\\$HOME $$HOME\"\n");
    EXPECT_EQ(l, (EnvList{Entry{"SHARED", "inner"}, Entry{"A", "inner"},
                          Entry{"B", "/home/u/x and inner"}, Entry{"C", "$SHARED"},
                          Entry{"D", "dflt_inner"}, Entry{"E", ""}, Entry{"LATER", "late"},
                          Entry{"F", "$HOME $HOME"}}));
}

TEST(Dotenv, BareKeyFallsThroughToLookup) {
    auto l = parse("HOME\nX=$HOME\n");
    EXPECT_EQ(l, (EnvList{Entry{"HOME", std::nullopt}, Entry{"X", "/home/u"}}));
}

TEST(Dotenv, NullLookupStillSeesEarlierKeys) {
    auto l = parse("A=1\nB=${A}${HOME}\n", Lookup{});
    EXPECT_EQ(l, (EnvList{Entry{"A", "1"}, Entry{"B", "1"}}));
}

TEST(Dotenv, RepeatedKeyKeepsPositionTakesLastValue) {
    auto l = parse("A=1\nB=2\nA=3\nC=$A\n");
    EXPECT_EQ(l, (EnvList{Entry{"A", "3"}, Entry{"B", "2"}, Entry{"C", "3"}}));
}

TEST(Dotenv, CrlfAndBom) {
    auto l = parse(
        "\xEF\xBB\xBF"
        "A=1\r\nB=\"two\"\r\n\r\nC='3'  \r\n");
    EXPECT_EQ(l, (EnvList{Entry{"A", "1"}, Entry{"B", "two"}, Entry{"C", "3"}}));
}

TEST(Dotenv, ErrorsNameFileAndLine) {
    EXPECT_EQ(parseErr("A=1\n\nlol$wut\n"),
              "conf/app.env:3: unexpected character \"$\" in variable name \"lol$wut\"");
    EXPECT_EQ(parseErr("FOO BAR=1"),
              "conf/app.env:1: variable name must not contain a space: \"FOO BAR=1\"");
    EXPECT_EQ(parseErr("A=1\n-X=1"),
              "conf/app.env:2: unexpected character \"-\" in variable name \"-X=1\"");
    EXPECT_EQ(parseErr("=value"), "conf/app.env:1: missing variable name before \"=\"");
    EXPECT_EQ(parseErr("A=1\nB=\"open\nstill open\n"),
              "conf/app.env:2: unterminated quoted value \"open");
    EXPECT_EQ(parseErr("B='open"), "conf/app.env:1: unterminated quoted value 'open");
    EXPECT_EQ(parseErr("B='value\\'"), "conf/app.env:1: unterminated quoted value 'value\\'");
    EXPECT_EQ(parseErr("A=\"x\"y"),
              "conf/app.env:1: unexpected character \"y\" after quoted value");
    EXPECT_EQ(parseErr("A=\"l1\nl2\" junk\n"),
              "conf/app.env:1: unexpected character \"j\" after quoted value");
    EXPECT_EQ(parseErr("A=1\nB=\"x\ny\"\nC=${BAD"),
              "conf/app.env:4: invalid interpolation format for \"${BAD\": you may need to "
              "escape any $ with another $");
    EXPECT_EQ(parseErr("A=${NEED:?set NEED}"),
              "conf/app.env:1: required variable NEED is missing a value: set NEED");
}

TEST(Dotenv, ReadFile) {
    char dir[] = "/tmp/berth-dotenv-XXXXXX";
    ASSERT_NE(mkdtemp(dir), nullptr);
    std::string path = std::string(dir) + "/.env";
    ASSERT_TRUE(sys::writeFile(path, "A=1\nB=\"$A-2\"\n", O_WRONLY | O_CREAT | O_TRUNC, 0644).ok());
    auto r = readDotenvFile(path, envLookup);
    ASSERT_TRUE(r.ok()) << r.error().str();
    EXPECT_EQ(r.value(), (EnvList{Entry{"A", "1"}, Entry{"B", "1-2"}}));

    ASSERT_TRUE(sys::writeFile(path, "A=1\nB C\n", O_WRONLY | O_TRUNC).ok());
    auto bad = readDotenvFile(path, envLookup);
    ASSERT_FALSE(bad.ok());
    EXPECT_EQ(bad.error().str(), path + ":2: variable name must not contain a space: \"B C\"");

    auto missing = readDotenvFile(std::string(dir) + "/nope.env", envLookup);
    ASSERT_FALSE(missing.ok());
    EXPECT_EQ(missing.error().code, ENOENT);
    EXPECT_EQ(missing.error().str(), "reading env file " + std::string(dir) + "/nope.env: ENOENT");
    ::unlink(path.c_str());
    ::rmdir(dir);
}

}  // namespace
}  // namespace berth::compose
