#include <gtest/gtest.h>

#include "engine/internal.h"

namespace berth::engine {
namespace {

const Json kImage = {{"Entrypoint", {"echo", "ep"}}, {"Cmd", {"fromimage"}}, {"WorkingDir", "/w"}};

Result<Container> build(Json body, const Json& image = kImage) {
    body["Image"] = "img";
    std::vector<std::string> warnings;
    return buildContainer(body, std::string(64, 'a'), "n", image, "img", "sha256:x", warnings);
}

TEST(Create, ImageEntrypointAndCmd) {
    auto c = build(Json::object());
    ASSERT_TRUE(c) << c.error().msg;
    EXPECT_EQ(c->path, "echo");
    EXPECT_EQ(c->args, (std::vector<std::string>{"ep", "fromimage"}));
    c = build({{"Cmd", {"a"}}});
    ASSERT_TRUE(c);
    EXPECT_EQ(c->args, (std::vector<std::string>{"ep", "a"}));
}

TEST(Create, EmptyStringEntrypointResetsIt) {
    for (Json ep : {Json::array({""}), Json("")}) {
        auto c = build({{"Entrypoint", ep}, {"Cmd", {"echo", "x"}}});
        ASSERT_TRUE(c) << c.error().msg;
        EXPECT_TRUE(c->config["Entrypoint"].is_null());
        EXPECT_EQ(c->path, "echo");
        EXPECT_EQ(c->args, (std::vector<std::string>{"x"}));
        // The image's Cmd is not taken after a reset: nothing to run.
        c = build({{"Entrypoint", ep}});
        ASSERT_FALSE(c);
        EXPECT_EQ(c.error().code, EINVAL);
        EXPECT_EQ(c.error().msg, "No command specified");
    }
}

TEST(Create, EmptyArrayEntrypointKeepsImageCmdOnly) {
    auto c = build({{"Entrypoint", Json::array()}});
    ASSERT_TRUE(c) << c.error().msg;
    EXPECT_EQ(c->path, "fromimage");
    EXPECT_TRUE(c->args.empty());
}

TEST(Create, NoCommandAtAll) {
    auto c = build(Json::object(), Json::object());
    ASSERT_FALSE(c);
    EXPECT_EQ(c.error().msg, "No command specified");
}

TEST(Create, StopSignal) {
    for (const char* ok : {"SIGUSR1", "usr1", "TERM", "9", "SIGRTMIN+3"})
        EXPECT_TRUE(build({{"StopSignal", ok}})) << ok;
    for (const char* bad : {"BOGUS", "SIGBOGUS", "0"}) {
        auto c = build({{"StopSignal", bad}});
        ASSERT_FALSE(c) << bad;
        EXPECT_EQ(c.error().code, EINVAL);
        EXPECT_EQ(c.error().msg, fmt::format("Invalid signal: {}", bad));
    }
    EXPECT_FALSE(build({{"StopSignal", 15}}));
}

TEST(Create, WorkingDir) {
    auto c = build({{"WorkingDir", "relative"}});
    ASSERT_FALSE(c);
    EXPECT_EQ(c.error().code, EINVAL);
    EXPECT_EQ(c.error().msg,
              "the working directory 'relative' is invalid, it needs to be an absolute path");
    c = build({{"WorkingDir", "/abs"}});
    ASSERT_TRUE(c);
    EXPECT_EQ(c->config["WorkingDir"], "/abs");
    c = build(Json::object());  // the image's
    ASSERT_TRUE(c);
    EXPECT_EQ(c->config["WorkingDir"], "/w");
}

}  // namespace
}  // namespace berth::engine
