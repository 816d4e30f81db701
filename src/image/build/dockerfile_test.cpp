#include "image/build/dockerfile.h"

#include <gtest/gtest.h>

namespace berth::image::build {
namespace {

Dockerfile parse(std::string_view text) {
    auto r = parseDockerfile(text);
    EXPECT_TRUE(r) << (r ? "" : r.error().str());
    return r ? *r : Dockerfile{};
}

std::string parseError(std::string_view text) {
    auto r = parseDockerfile(text);
    EXPECT_FALSE(r);
    return r ? "" : r.error().msg;
}

TEST(Dockerfile, StagesMetaArgsAndNames) {
    auto df = parse(
        "ARG BASE=busybox\n"
        "FROM $BASE AS Builder\n"
        "RUN echo hi\n"
        "from scratch\n"
        "copy --from=builder /a /b\n");
    ASSERT_EQ(df.metaArgs.size(), 1u);
    EXPECT_EQ(df.metaArgs[0].args, std::vector<std::string>{"BASE=busybox"});
    ASSERT_EQ(df.stages.size(), 2u);
    EXPECT_EQ(df.stages[0].baseName, "$BASE");
    EXPECT_EQ(df.stages[0].name, "builder");
    EXPECT_EQ(df.stages[0].from.line, 2);
    ASSERT_EQ(df.stages[1].commands.size(), 1u);
    const auto& cp = df.stages[1].commands[0];
    EXPECT_EQ(cp.cmd, "copy");
    EXPECT_EQ(cp.flagValue("from"), "builder");
    EXPECT_EQ(cp.args, (std::vector<std::string>{"/a", "/b"}));
    EXPECT_EQ(cp.original, "copy --from=builder /a /b");
}

TEST(Dockerfile, ContinuationsCommentsAndBlankLines) {
    auto df = parse(
        "# a comment\n"
        "\n"
        "FROM busybox\n"
        "RUN echo a \\\n"
        "# comment inside\n"
        "\n"
        "    b \\  \n"
        "  c\n"
        "   CMD [\"x\"]\r\n");
    ASSERT_EQ(df.stages[0].commands.size(), 2u);
    const auto& run = df.stages[0].commands[0];
    EXPECT_EQ(run.line, 4);
    EXPECT_FALSE(run.json);
    EXPECT_EQ(run.args, std::vector<std::string>{"echo a     b   c"});
    EXPECT_EQ(run.original, "RUN echo a     b   c");
    const auto& cmd = df.stages[0].commands[1];
    EXPECT_TRUE(cmd.json);
    EXPECT_EQ(cmd.args, std::vector<std::string>{"x"});
    EXPECT_EQ(cmd.line, 9);
}

TEST(Dockerfile, EscapeAndSyntaxDirectives) {
    auto df = parse(
        "# syntax=docker/dockerfile:1\n"
        "# escape=`\n"
        "FROM busybox\n"
        "RUN echo C:\\dir `\n"
        "  done\n");
    EXPECT_EQ(df.escape, '`');
    EXPECT_EQ(df.syntax, "docker/dockerfile:1");
    EXPECT_EQ(df.stages[0].commands[0].args, std::vector<std::string>{"echo C:\\dir   done"});
    // A directive after a comment or an instruction is just a comment.
    auto df2 = parse("# hello\n# escape=`\nFROM busybox\nRUN a \\\n b\n");
    EXPECT_EQ(df2.escape, '\\');
    EXPECT_EQ(df2.stages[0].commands[0].args, std::vector<std::string>{"a  b"});
    EXPECT_NE(parseError("# escape=x\nFROM busybox\n").find("Dockerfile:1"), std::string::npos);
}

TEST(Dockerfile, JsonAndShellForms) {
    auto df = parse(
        "FROM busybox\n"
        "RUN [\"echo\", \"a b\"]\n"
        "RUN [not json\n"
        "ENTRYPOINT [\"/bin/sh\", \"-c\"]\n"
        "SHELL [\"/bin/bash\", \"-c\"]\n");
    const auto& c = df.stages[0].commands;
    EXPECT_TRUE(c[0].json);
    EXPECT_EQ(c[0].args, (std::vector<std::string>{"echo", "a b"}));
    EXPECT_FALSE(c[1].json);
    EXPECT_EQ(c[1].args, std::vector<std::string>{"[not json"});
    EXPECT_TRUE(c[2].json);
    EXPECT_EQ(c[3].args, (std::vector<std::string>{"/bin/bash", "-c"}));
    EXPECT_NE(parseError("FROM x\nSHELL /bin/sh -c\n").find("JSON form"), std::string::npos);
    EXPECT_NE(parseError("FROM x\nRUN [\"a\", 1]\n").find("Dockerfile:2"), std::string::npos);
}

TEST(Dockerfile, EnvLabelForms) {
    auto df = parse(
        "FROM busybox\n"
        "ENV A=1 B=\"two words\" C=three\\ words\n"
        "ENV LEGACY value with spaces\n"
        "LABEL \"com.x\"=\"y z\" k=v\n"
        "ARG X Y=2\n");
    const auto& c = df.stages[0].commands;
    EXPECT_EQ(c[0].args,
              (std::vector<std::string>{"A", "1", "B", "\"two words\"", "C", "three\\ words"}));
    EXPECT_EQ(c[1].args, (std::vector<std::string>{"LEGACY", "value with spaces"}));
    EXPECT_EQ(c[2].args, (std::vector<std::string>{"\"com.x\"", "\"y z\"", "k", "v"}));
    EXPECT_EQ(c[3].args, (std::vector<std::string>{"X", "Y=2"}));
    EXPECT_NE(parseError("FROM x\nENV A=1 B\n").find("can't find = in \"B\""), std::string::npos);
    EXPECT_NE(parseError("FROM x\nENV A\n").find("ENV must have two arguments"), std::string::npos);
}

TEST(Dockerfile, Healthcheck) {
    auto df = parse(
        "FROM busybox\n"
        "HEALTHCHECK --interval=5s --retries=3 CMD curl -f http://x/ || exit 1\n"
        "HEALTHCHECK CMD [\"true\"]\n"
        "healthcheck none\n");
    const auto& c = df.stages[0].commands;
    EXPECT_EQ(c[0].args, (std::vector<std::string>{"CMD-SHELL", "curl -f http://x/ || exit 1"}));
    EXPECT_EQ(c[0].flagValue("interval"), "5s");
    EXPECT_EQ(c[0].flagValue("retries"), "3");
    EXPECT_EQ(c[1].args, (std::vector<std::string>{"CMD", "true"}));
    EXPECT_EQ(c[2].args, std::vector<std::string>{"NONE"});
    EXPECT_NE(parseError("FROM x\nHEALTHCHECK NONE x\n").find("takes no arguments"),
              std::string::npos);
    EXPECT_NE(parseError("FROM x\nHEALTHCHECK FOO\n").find("Unknown type"), std::string::npos);
}

TEST(Dockerfile, OnbuildAndFlags) {
    auto df =
        parse("FROM busybox\nONBUILD RUN echo triggered\nCOPY --chown=app:app --chmod=640 a b\n");
    const auto& c = df.stages[0].commands;
    EXPECT_EQ(c[0].args, std::vector<std::string>{"RUN echo triggered"});
    EXPECT_EQ(c[1].flagValue("chown"), "app:app");
    EXPECT_EQ(c[1].flagValue("chmod"), "640");
    EXPECT_NE(parseError("FROM x\nONBUILD ONBUILD RUN x\n").find("Chaining ONBUILD"),
              std::string::npos);
    EXPECT_NE(parseError("FROM x\nONBUILD FROM y\n").find("FROM isn't allowed"), std::string::npos);
    EXPECT_EQ(parseError("FROM x\nRUN --bogus=1 true\n"), "Dockerfile:2: unknown flag: bogus");
}

TEST(Dockerfile, ErrorsNameTheLine) {
    EXPECT_EQ(parseError("FROM busybox\n\n# c\n\nRUN true\n\nRUNN echo\n"),
              "Dockerfile:7: unknown instruction: RUNN");
    EXPECT_EQ(parseError("FROM busybox\nRUN true\nFROM\n"),
              "Dockerfile:3: FROM requires an image name");
    EXPECT_EQ(parseError("RUN true\n"), "Dockerfile:1: no build stage in current context");
    EXPECT_NE(parseError("FROM a b\n").find("one or three arguments"), std::string::npos);
    EXPECT_NE(parseError("FROM a AS 1x\n").find("invalid name for build stage"), std::string::npos);
    EXPECT_NE(parseError("FROM a AS x\nFROM b AS X\n").find("duplicate name"), std::string::npos);
    EXPECT_NE(parseError("FROM x\nCOPY onlyone\n").find("requires at least two arguments"),
              std::string::npos);
    EXPECT_NE(parseError("\n# only comments\n").find("cannot be empty"), std::string::npos);
    auto r = parseDockerfile("FROM x\nWORKDIR\n", "sub/Dockerfile.dev");
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().msg, "sub/Dockerfile.dev:2: WORKDIR requires exactly one argument");
}

}  // namespace
}  // namespace berth::image::build
