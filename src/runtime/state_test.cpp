#include "runtime/state.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include "common/sys.h"
#include "runtime/container.h"

namespace berth {
namespace {

struct TempRoot {
    std::string path;
    TempRoot() {
        char t[] = "/tmp/berth-state-XXXXXX";
        path = mkdtemp(t);
    }
    ~TempRoot() { (void)sys::removeAll(path); }
};

TEST(State, ValidateId) {
    for (const char* ok : {"web", "a.b_c+d-e", "0", "x..y"}) EXPECT_TRUE(state::validateId(ok)) << ok;
    for (const char* bad : {"", ".", "..", "a/b", "a b", "@cache", "x\n"}) {
        EXPECT_FALSE(state::validateId(bad)) << bad;
    }
}

TEST(State, SaveLoadRoundTripAndList) {
    TempRoot r;
    state::State s;
    s.id = "web";
    s.ociVersion = "1.2.0";
    s.pid = 42;
    s.startTime = 7;
    s.bundle = "/b";
    s.annotations = {{"k", "v"}};
    s.cgroupMode = cgroups::Mode::Hybrid;
    s.cgroupPath = "berth/web";
    s.namespaces = {"pid", "mount"};
    s.execPipeFd = 9;
    ASSERT_TRUE(sys::mkdir(state::dir(r.path, "web"), 0711));
    ASSERT_TRUE(state::save(r.path, s));
    auto l = state::load(r.path, "web");
    ASSERT_TRUE(l) << l.error().str();
    EXPECT_EQ(l->pid, 42);
    EXPECT_EQ(l->startTime, 7u);
    EXPECT_EQ(l->cgroupMode, cgroups::Mode::Hybrid);
    EXPECT_EQ(l->namespaces, s.namespaces);
    EXPECT_EQ(l->annotations.at("k"), "v");
    EXPECT_EQ(l->execPipeFd, 9);
    // A directory without state.json (or a cache such as @seccomp-cache) is not a container.
    ASSERT_TRUE(sys::mkdir(r.path + "/@seccomp-cache", 0700));
    ASSERT_TRUE(sys::mkdir(r.path + "/half", 0700));
    auto ids = state::listIds(r.path);
    ASSERT_TRUE(ids);
    EXPECT_EQ(*ids, std::vector<std::string>{"web"});
}

TEST(State, MissingContainerIsENOENTWithItsName) {
    TempRoot r;
    auto l = state::load(r.path, "ghost");
    ASSERT_FALSE(l);
    EXPECT_EQ(l.error().code, ENOENT);
    EXPECT_EQ(l.error().msg, "container \"ghost\" does not exist");
}

TEST(State, StatusFollowsTheInitAndTheFifo) {
    TempRoot r;
    pid_t child = fork();
    if (child == 0) {
        pause();
        _exit(0);
    }
    state::State s;
    s.id = "c";
    s.pid = child;
    s.startTime = state::processStartTime(child);
    s.cgroupRoot = r.path;  // no freezer there: never "paused"
    ASSERT_TRUE(sys::mkdir(state::dir(r.path, "c"), 0711));
    ASSERT_EQ(mkfifo(state::fifoPath(r.path, "c").c_str(), 0600), 0);
    EXPECT_EQ(state::status(r.path, s), state::ContainerStatus::Created);
    ASSERT_TRUE(sys::unlinkat(AT_FDCWD, state::fifoPath(r.path, "c"), 0));
    EXPECT_EQ(state::status(r.path, s), state::ContainerStatus::Running);
    // A reused pid (another start time) is not our init.
    state::State other = s;
    other.startTime = s.startTime + 1;
    EXPECT_EQ(state::status(r.path, other), state::ContainerStatus::Stopped);
    kill(child, SIGKILL);
    // A zombie counts as stopped even before it is reaped.
    for (int i = 0; i < 1000 && state::processRunning(child, s.startTime); i++) usleep(1000);
    EXPECT_EQ(state::status(r.path, s), state::ContainerStatus::Stopped);
    waitpid(child, nullptr, 0);
}

TEST(State, OciJsonHasTheSpecFields) {
    state::State s;
    s.ociVersion = "1.0.2";
    s.id = "x";
    s.pid = 10;
    s.bundle = "/b";
    auto j = nlohmann::json::parse(state::ociJson(s, state::ContainerStatus::Running));
    EXPECT_EQ(j["status"], "running");
    EXPECT_EQ(j["pid"], 10);
    EXPECT_EQ(j["bundle"], "/b");
    EXPECT_FALSE(j.contains("annotations"));
    // A stopped container has no process: runc reports pid 0.
    j = nlohmann::json::parse(state::ociJson(s, state::ContainerStatus::Stopped));
    EXPECT_EQ(j["pid"], 0);
}

TEST(Signals, NamesNumbersAndRealtime) {
    EXPECT_EQ(*runtime::parseSignal("KILL"), SIGKILL);
    EXPECT_EQ(*runtime::parseSignal("SIGTERM"), SIGTERM);
    EXPECT_EQ(*runtime::parseSignal("sigusr1"), SIGUSR1);
    EXPECT_EQ(*runtime::parseSignal("9"), 9);
    EXPECT_EQ(*runtime::parseSignal("RTMIN+2"), SIGRTMIN + 2);
    EXPECT_FALSE(runtime::parseSignal("NOPE"));
    EXPECT_FALSE(runtime::parseSignal("0"));
    EXPECT_FALSE(runtime::parseSignal("9x"));
}

}  // namespace
}  // namespace berth
