// --change parsing: exec and shell forms, ENV/LABEL word processing, errors.
#include "image/transfer/changes.h"

#include <gtest/gtest.h>

namespace berth::image::transfer {
namespace {

ContainerConfig apply(const std::vector<std::string>& changes) {
    ContainerConfig c;
    auto st = applyChanges(c, changes);
    EXPECT_TRUE(st) << (st ? "" : st.error().str());
    return c;
}

std::string applyError(const std::vector<std::string>& changes) {
    ContainerConfig c;
    auto st = applyChanges(c, changes);
    EXPECT_FALSE(st);
    return st ? "" : st.error().msg;
}

using V = std::vector<std::string>;

TEST(Changes, CmdExecAndShellForms) {
    EXPECT_EQ(*apply({R"(CMD ["/bin/echo", "hi there"])"}).cmd, (V{"/bin/echo", "hi there"}));
    EXPECT_EQ(*apply({"CMD echo $HOME  'x'"}).cmd, (V{"/bin/sh", "-c", "echo $HOME  'x'"}));
    // Not a JSON array of strings: shell form, as the Dockerfile parser does.
    EXPECT_EQ(*apply({"cmd [1, 2]"}).cmd, (V{"/bin/sh", "-c", "[1, 2]"}));
    EXPECT_EQ(*apply({"CMD []"}).cmd, V{});
}

TEST(Changes, EntrypointDropsEarlierCmdOnly) {
    ContainerConfig c;
    c.cmd = V{"old"};
    ASSERT_TRUE(applyChanges(c, {"ENTRYPOINT [\"/bin/sh\"]"}));
    EXPECT_FALSE(c.cmd.has_value());
    ASSERT_TRUE(applyChanges(c, {"CMD [\"-c\", \"x\"]", "ENTRYPOINT top -b"}));
    EXPECT_EQ(*c.cmd, (V{"-c", "x"}));
    EXPECT_EQ(*c.entrypoint, (V{"/bin/sh", "-c", "top -b"}));
}

TEST(Changes, EnvForms) {
    auto c = apply({"ENV A=1 B=\"two words\" C='$A' D=$A", "ENV E ${A:-x} and more", "ENV A=3",
                    "ENV F=${UNSET:-dflt} G=${A:+set}"});
    // D expands with the env from before its instruction (A unset then).
    EXPECT_EQ(c.env, (V{"A=3", "B=two words", "C=$A", "D=", "E=1 and more", "F=dflt", "G=set"}));
}

TEST(Changes, EnvErrors) {
    EXPECT_NE(applyError({"ENV A=1 B"}).find("can't find = in \"B\""), std::string::npos);
    EXPECT_NE(applyError({"ENV ONLYKEY"}).find("two arguments"), std::string::npos);
    EXPECT_NE(applyError({"ENV A=\"open"}).find("quote"), std::string::npos);
}

TEST(Changes, LabelExposeUserWorkdirVolume) {
    auto c =
        apply({"LABEL a=b \"c d\"=\"e f\"", "EXPOSE 80 53/udp 8000-8001", "ENV P=9090", "EXPOSE $P",
               "USER app:app", "WORKDIR /srv", "WORKDIR web/../app", "VOLUME /data /logs",
               "VOLUME [\"/cache\"]", "STOPSIGNAL SIGQUIT", "ONBUILD RUN echo hi"});
    EXPECT_EQ(c.labels, (std::map<std::string, std::string>{{"a", "b"}, {"c d", "e f"}}));
    std::vector<std::string> ports;
    for (auto& [k, v] : c.exposedPorts) ports.push_back(k);
    EXPECT_EQ(ports, (V{"53/udp", "80/tcp", "8000/tcp", "8001/tcp", "9090/tcp"}));
    EXPECT_EQ(c.user, "app:app");
    EXPECT_EQ(c.workingDir, "/srv/app");
    std::vector<std::string> vols;
    for (auto& [k, v] : c.volumes) vols.push_back(k);
    EXPECT_EQ(vols, (V{"/cache", "/data", "/logs"}));
    EXPECT_EQ(c.stopSignal, "SIGQUIT");
    EXPECT_EQ(c.onBuild, V{"RUN echo hi"});
}

TEST(Changes, Healthcheck) {
    auto c = apply({"HEALTHCHECK --interval=5s --retries=3 CMD curl -f http://x/"});
    ASSERT_TRUE(c.healthcheck);
    EXPECT_EQ(c.healthcheck->test, (V{"CMD-SHELL", "curl -f http://x/"}));
    EXPECT_EQ(c.healthcheck->interval, 5'000'000'000);
    EXPECT_EQ(c.healthcheck->retries, 3);
    c = apply({"HEALTHCHECK CMD [\"true\"]"});
    EXPECT_EQ(c.healthcheck->test, (V{"CMD", "true"}));
    c = apply({"healthcheck none"});
    EXPECT_EQ(c.healthcheck->test, V{"NONE"});
}

TEST(Changes, Rejected) {
    EXPECT_EQ(applyError({"RUN echo"}), "RUN is not a valid change command");
    EXPECT_EQ(applyError({"FROM busybox"}), "FROM is not a valid change command");
    EXPECT_NE(applyError({"FOO bar"}).find("unknown instruction: FOO"), std::string::npos);
    EXPECT_NE(applyError({"EXPOSE 99999"}).find("invalid port"), std::string::npos);
    EXPECT_NE(applyError({"EXPOSE 80/xyz"}).find("invalid proto"), std::string::npos);
    EXPECT_NE(applyError({"STOPSIGNAL NOPE"}).find("Invalid signal"), std::string::npos);
    EXPECT_NE(applyError({"ONBUILD FROM x"}).find("isn't allowed"), std::string::npos);
    EXPECT_NE(applyError({"CMD"}).find("requires"), std::string::npos);
}

TEST(Words, ProcessWord) {
    V env{"A=1", "B=x y"};
    EXPECT_EQ(*processWord(R"(a\ b"$B"'$B'\$A${A}$A_ $)", env), "a bx y$B$A1 $");
    EXPECT_EQ(*processWord(R"("a\"b\\c\d")", env), "a\"b\\c\\d");
    EXPECT_FALSE(processWord("'open", env));
    EXPECT_FALSE(processWord("${A", env));
}

TEST(Words, Split) {
    EXPECT_EQ(*splitWords("  a 'b c'  \"d \\\" e\" f\\ g "),
              (V{"a", "'b c'", "\"d \\\" e\"", "f\\ g"}));
}

TEST(Words, Duration) {
    EXPECT_EQ(*parseDuration("1m30s"), 90'000'000'000);
    EXPECT_EQ(*parseDuration("500ms"), 500'000'000);
    EXPECT_EQ(*parseDuration("1.5h"), 5'400'000'000'000);
    EXPECT_FALSE(parseDuration("5"));
    EXPECT_FALSE(parseDuration("5x"));
}

}  // namespace
}  // namespace berth::image::transfer
