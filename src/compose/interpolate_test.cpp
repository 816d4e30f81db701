#include "compose/interpolate.h"

#include <gtest/gtest.h>

#include <map>

namespace berth::compose {
namespace {

class InterpolateTest : public ::testing::Test {
  protected:
    std::map<std::string, std::string, std::less<>> env{
        {"NAME", "web"}, {"EMPTY", ""}, {"PORT", "8080"}, {"TAG", "1.2"}, {"lower_x1", "lo"}};
    std::vector<std::string> lookedUp;
    Lookup lookup = [this](std::string_view n) -> std::optional<std::string> {
        lookedUp.emplace_back(n);
        auto it = env.find(n);
        if (it == env.end()) return std::nullopt;
        return it->second;
    };
    std::vector<std::string> unset;

    std::string ok(std::string_view text) {
        auto r = interpolate(text, lookup, &unset);
        EXPECT_TRUE(r.ok()) << text << ": " << r.error().str();
        return r.ok() ? r.value() : std::string("<error>");
    }
    std::string err(std::string_view text) {
        auto r = interpolate(text, lookup, &unset);
        EXPECT_FALSE(r.ok()) << text << " gave " << (r.ok() ? r.value() : "");
        return r.ok() ? std::string() : r.error().str();
    }
};

TEST_F(InterpolateTest, PlainTextIsUnchanged) {
    EXPECT_EQ(ok(""), "");
    EXPECT_EQ(ok("nginx:latest"), "nginx:latest");
    EXPECT_EQ(ok("a } { b"), "a } { b");
    EXPECT_TRUE(lookedUp.empty());
}

TEST_F(InterpolateTest, NamedAndBraced) {
    EXPECT_EQ(ok("$NAME"), "web");
    EXPECT_EQ(ok("${NAME}"), "web");
    EXPECT_EQ(ok("img-$NAME:$TAG"), "img-web:1.2");
    EXPECT_EQ(ok("${NAME}_x"), "web_x");
    EXPECT_EQ(ok("$NAME.conf"), "web.conf");  // '.' ends a name
    EXPECT_EQ(ok("$NAME-1"), "web-1");        // '-' ends an unbraced name
    EXPECT_EQ(ok("${lower_x1}/$lower_x1"), "lo/lo");
    EXPECT_EQ(ok("${EMPTY}"), "");
    EXPECT_EQ(ok("127.0.0.1:${PORT}:80"), "127.0.0.1:8080:80");
    EXPECT_TRUE(unset.empty());
}

TEST_F(InterpolateTest, DollarDollarIsALiteralDollar) {
    EXPECT_EQ(ok("$$"), "$");
    EXPECT_EQ(ok("$$NAME"), "$NAME");
    EXPECT_EQ(ok("$${NAME}"), "${NAME}");
    EXPECT_EQ(ok("echo $$$$ $$$NAME"), "echo $$ $web");
    EXPECT_EQ(ok("${UNSET:-$$}"), "$");
    EXPECT_TRUE(lookedUp.size() == 2u);  // NAME and UNSET only
}

TEST_F(InterpolateTest, DefaultWhenUnsetOrEmpty) {
    EXPECT_EQ(ok("${UNSET:-dflt}"), "dflt");
    EXPECT_EQ(ok("${EMPTY:-dflt}"), "dflt");
    EXPECT_EQ(ok("${NAME:-dflt}"), "web");
    EXPECT_EQ(ok("${UNSET:-}"), "");
    EXPECT_EQ(ok("${UNSET:-a b:c/d}"), "a b:c/d");
    EXPECT_EQ(ok("${UNSET:-a-b}"), "a-b");
    EXPECT_TRUE(unset.empty()) << "a default is not a warning";
}

TEST_F(InterpolateTest, DefaultWhenUnsetOnly) {
    EXPECT_EQ(ok("${UNSET-dflt}"), "dflt");
    EXPECT_EQ(ok("${EMPTY-dflt}"), "");
    EXPECT_EQ(ok("${NAME-dflt}"), "web");
    EXPECT_EQ(ok("${UNSET-}"), "");
    EXPECT_TRUE(unset.empty());
}

TEST_F(InterpolateTest, AlternativeValue) {
    EXPECT_EQ(ok("${NAME:+alt}"), "alt");
    EXPECT_EQ(ok("${EMPTY:+alt}"), "");
    EXPECT_EQ(ok("${UNSET:+alt}"), "");
    EXPECT_EQ(ok("${NAME+alt}"), "alt");
    EXPECT_EQ(ok("${EMPTY+alt}"), "alt");
    EXPECT_EQ(ok("${UNSET+alt}"), "");
    EXPECT_EQ(ok("--port=${PORT:+-p $PORT}"), "--port=-p 8080");
    EXPECT_TRUE(unset.empty());
}

TEST_F(InterpolateTest, RequiredValues) {
    EXPECT_EQ(ok("${NAME:?need a name}"), "web");
    EXPECT_EQ(ok("${NAME?need a name}"), "web");
    EXPECT_EQ(ok("${EMPTY?set but empty is fine}"), "");
    EXPECT_EQ(err("${UNSET:?please set UNSET}"),
              "required variable UNSET is missing a value: please set UNSET");
    EXPECT_EQ(err("x ${EMPTY:?must not be empty} y"),
              "required variable EMPTY is missing a value: must not be empty");
    EXPECT_EQ(err("${UNSET?err}"), "required variable UNSET is missing a value: err");
    EXPECT_EQ(err("${UNSET:?}"), "required variable UNSET is missing a value");
    EXPECT_EQ(err("${UNSET?}"), "required variable UNSET is missing a value");
    // The message is itself interpolated.
    EXPECT_EQ(err("${UNSET:?set it for $NAME}"),
              "required variable UNSET is missing a value: set it for web");
}

TEST_F(InterpolateTest, NestedDefaults) {
    EXPECT_EQ(ok("${UNSET:-${NAME}}"), "web");
    EXPECT_EQ(ok("${UNSET:-${ALSO_UNSET:-x}}"), "x");
    EXPECT_EQ(ok("${UNSET:-${EMPTY:-${PORT}}}"), "8080");
    EXPECT_EQ(ok("${UNSET:-$NAME-${TAG}}/end"), "web-1.2/end");
    EXPECT_EQ(ok("${NAME:+${UNSET:-in}}"), "in");
    EXPECT_EQ(ok("${UNSET:-{literal}"), "{literal");
    EXPECT_EQ(ok("a${UNSET:-b}c${UNSET2-d}e"), "abcde");
    EXPECT_EQ(err("${UNSET:-${REQ:?nested required}}"),
              "required variable REQ is missing a value: nested required");
    EXPECT_TRUE(unset.empty());
}

TEST_F(InterpolateTest, UnusedWordIsNotEvaluated) {
    // The default of a set variable is never looked up: no warning, no required error.
    EXPECT_EQ(ok("${NAME:-$MISSING}"), "web");
    EXPECT_EQ(ok("${NAME:-${REQ:?never checked}}"), "web");
    EXPECT_EQ(ok("${UNSET:+$MISSING}"), "");
    EXPECT_TRUE(unset.empty());
    EXPECT_EQ(std::count(lookedUp.begin(), lookedUp.end(), "MISSING"), 0);
    EXPECT_EQ(std::count(lookedUp.begin(), lookedUp.end(), "REQ"), 0);
    // ...but its syntax still is.
    EXPECT_NE(err("${NAME:-$}").find("invalid interpolation format"), std::string::npos);
}

TEST_F(InterpolateTest, UnsetVariablesAreCollectedOnce) {
    EXPECT_EQ(ok("$A-${B}-$A-${C}"), "---");
    EXPECT_EQ(ok("${B}${D:-x}"), "x");
    EXPECT_EQ(ok("${UNSET:-$E}"), "");
    EXPECT_EQ(unset, (std::vector<std::string>{"A", "B", "C", "E"}));
}

TEST_F(InterpolateTest, NullUnsetListAndNullLookupAreFine) {
    auto r = interpolate("${X}-$Y", lookup);
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r.value(), "-");
    auto r2 = interpolate("${X:-d}", Lookup{});
    ASSERT_TRUE(r2.ok());
    EXPECT_EQ(r2.value(), "d");
}

TEST_F(InterpolateTest, InvalidFormats) {
    for (const char* t : {"$", "abc$", "${", "${NAME", "${NAME:-x", "${:-x}", "${}", "$}", "$ x",
                          "$1", "${1A}", "${NAME x}", "${NAME:}", "${NAME:x}", "${NAME*}",
                          "${A:-${B}", "${A.B}", "x${NAME:-${}}"}) {
        std::string e = err(t);
        EXPECT_EQ(e, std::string("invalid interpolation format for \"") + t +
                         "\": you may need to escape any $ with another $")
            << t;
    }
}

TEST_F(InterpolateTest, RealisticValues) {
    EXPECT_EQ(ok("postgres://user:${DB_PASS:-secret}@db:5432/${NAME}"),
              "postgres://user:secret@db:5432/web");
    EXPECT_EQ(ok("sh -c 'echo $$HOME'"), "sh -c 'echo $HOME'");
    EXPECT_EQ(ok("${PORT:-80}:80"), "8080:80");
    EXPECT_EQ(ok("\xc3\xa9t\xc3\xa9 $NAME"), "\xc3\xa9t\xc3\xa9 web");
}

TEST(IsVariableName, Forms) {
    EXPECT_TRUE(isVariableName("A"));
    EXPECT_TRUE(isVariableName("_a1"));
    EXPECT_FALSE(isVariableName(""));
    EXPECT_FALSE(isVariableName("1A"));
    EXPECT_FALSE(isVariableName("A-B"));
}

}  // namespace
}  // namespace berth::compose
