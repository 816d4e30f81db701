#include "cli/flags.h"

#include <gtest/gtest.h>

namespace berth::cli {
namespace {

Flags runFlags() {
    Flags f;
    f.boolean("detach", 'd', "Run container in background");
    f.boolean("interactive", 'i', "Keep STDIN open");
    f.boolean("tty", 't', "Allocate a pseudo-TTY");
    f.boolean("rm", 0, "Remove when it exits");
    f.string("name", 0, "", "Assign a name");
    f.list("publish", 'p', "Publish ports");
    f.list("env", 'e', "Set environment variables");
    f.integer("last", 'n', -1, "Show n last");
    f.uinteger("blkio-weight", 0, 0, "Block IO weight", "uint16");
    f.decimal("cpus", 0, "", "Number of CPUs");
    return f;
}

TEST(Flags, ClustersLongFormsAndValues) {
    auto f = runFlags();
    ASSERT_TRUE(f.parse({"-it", "--rm", "--name=web", "-p80:80", "-p", "8080:8080", "-e=A=1",
                         "--env", "B=2", "busybox", "sh"},
                        false));
    EXPECT_TRUE(f.b("interactive"));
    EXPECT_TRUE(f.b("tty"));
    EXPECT_FALSE(f.b("detach"));
    EXPECT_TRUE(f.b("rm"));
    EXPECT_EQ(f.s("name"), "web");
    EXPECT_EQ(f.l("publish"), (std::vector<std::string>{"80:80", "8080:8080"}));
    EXPECT_EQ(f.l("env"), (std::vector<std::string>{"A=1", "B=2"}));
    EXPECT_EQ(f.args(), (std::vector<std::string>{"busybox", "sh"}));
    EXPECT_TRUE(f.changed("name"));
    EXPECT_FALSE(f.changed("detach"));
}

TEST(Flags, NonInterspersedStopsAtFirstPositional) {
    auto f = runFlags();
    ASSERT_TRUE(f.parse({"-d", "busybox", "ls", "-l", "--rm"}, false));
    EXPECT_TRUE(f.b("detach"));
    EXPECT_FALSE(f.b("rm"));
    EXPECT_EQ(f.args(), (std::vector<std::string>{"busybox", "ls", "-l", "--rm"}));
}

TEST(Flags, InterspersedAndDoubleDash) {
    auto f = runFlags();
    ASSERT_TRUE(f.parse({"a", "--rm", "b", "--", "-d", "c"}, true));
    EXPECT_TRUE(f.b("rm"));
    EXPECT_FALSE(f.b("detach"));
    EXPECT_EQ(f.args(), (std::vector<std::string>{"a", "b", "-d", "c"}));
}

TEST(Flags, BoolWithExplicitValueAndDash) {
    auto f = runFlags();
    ASSERT_TRUE(f.parse({"--rm=false", "--detach=true", "-"}, true));
    EXPECT_FALSE(f.b("rm"));
    EXPECT_TRUE(f.b("detach"));
    EXPECT_EQ(f.args(), (std::vector<std::string>{"-"}));
    auto g = runFlags();
    auto st = g.parse({"--rm=maybe"}, true);
    ASSERT_FALSE(st);
    EXPECT_EQ(st.error().msg,
              "invalid argument \"maybe\" for \"--rm\" flag: strconv.ParseBool: parsing "
              "\"maybe\": invalid syntax");
}

TEST(Flags, PflagErrorWording) {
    auto a = runFlags();
    EXPECT_EQ(a.parse({"--bogus"}).error().msg, "unknown flag: --bogus");
    auto b = runFlags();
    EXPECT_EQ(b.parse({"-dz"}).error().msg, "unknown shorthand flag: 'z' in -dz");
    auto c = runFlags();
    EXPECT_EQ(c.parse({"-n"}).error().msg, "flag needs an argument: 'n' in -n");
    auto d = runFlags();
    EXPECT_EQ(d.parse({"--name"}).error().msg, "flag needs an argument: --name");
    auto e = runFlags();
    EXPECT_EQ(e.parse({"-n", "abc"}).error().msg,
              "invalid argument \"abc\" for \"-n, --last\" flag: strconv.ParseInt: parsing "
              "\"abc\": invalid syntax");
    auto g = runFlags();
    EXPECT_FALSE(g.parse({"--blkio-weight", "-3"}));
    auto h = runFlags();
    EXPECT_FALSE(h.parse({"--cpus", "1.5x"}));
    auto i = runFlags();
    ASSERT_TRUE(i.parse({"--cpus", "1.5", "-n", "3"}));
    EXPECT_DOUBLE_EQ(i.f("cpus"), 1.5);
    EXPECT_EQ(i.i("last"), 3);
}

TEST(Flags, HelpFlagUnlessHIsTaken) {
    auto f = runFlags();
    ASSERT_TRUE(f.parse({"-h"}));
    EXPECT_TRUE(f.helpRequested());
    Flags g;
    g.string("hostname", 'h', "", "Container host name");
    ASSERT_TRUE(g.parse({"-h", "box"}));
    EXPECT_FALSE(g.helpRequested());
    EXPECT_EQ(g.s("hostname"), "box");
    Flags k;
    ASSERT_TRUE(k.parse({"--help"}));
    EXPECT_TRUE(k.helpRequested());
}

TEST(Flags, UsageTextAlignsAndShowsDefaults) {
    Flags f;
    f.boolean("all", 'a', "Show all containers (default shows just running)");
    f.list("filter", 'f', "Filter output based on conditions provided", "filter");
    f.integer("last", 'n', -1, "Show n last created containers (includes all states)");
    f.string("format", 0, "", "Format output");
    f.boolean("secret", 0, "hidden").hide();
    std::string u = f.usageText();
    EXPECT_NE(u.find("  -a, --all             Show all containers (default shows just running)\n"),
              std::string::npos)
        << u;
    EXPECT_NE(u.find("  -f, --filter filter   Filter output"), std::string::npos) << u;
    EXPECT_NE(u.find("      --format string   Format output\n"), std::string::npos) << u;
    EXPECT_NE(u.find("(default -1)"), std::string::npos) << u;
    EXPECT_EQ(u.find("secret"), std::string::npos);
    for (size_t pos = 0, nl; (nl = u.find('\n', pos)) != std::string::npos; pos = nl + 1)
        EXPECT_LE(nl - pos, 80u) << u.substr(pos, nl - pos);
}

TEST(Flags, WrapTextKeepsLinesAndIndents) {
    EXPECT_EQ(wrapText("aaa bbb ccc", 4, 12), "aaa bbb\n    ccc");
    EXPECT_EQ(wrapText("one\ntwo", 2, 80), "one\n  two");
}

}  // namespace
}  // namespace berth::cli
