#include "engine/top.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

namespace berth::engine {
namespace {

using Json = nlohmann::json;

Json parse(const std::string& out, const std::vector<pid_t>& pids) {
    auto r = parsePsOutput(out, pids);
    EXPECT_TRUE(r) << r.error().str();
    return r ? Json::parse(*r) : Json();
}

TEST(Top, ParseKeepsContainerRowsAndJoinsCommand) {
    std::string out =
        "UID          PID    PPID  C STIME TTY          TIME CMD\n"
        "root           1       0  0 08:39 ?        00:00:01 /sbin/init splash\n"
        "root         100       1  0 08:40 ?        00:00:00 sh -c sleep 1000\n"
        "root         101     100  0 08:40 ?        00:00:00 sleep 1000\n";
    Json j = parse(out, {100, 101});
    EXPECT_EQ(j["Titles"], Json::parse(R"(["UID","PID","PPID","C","STIME","TTY","TIME","CMD"])"));
    ASSERT_EQ(j["Processes"].size(), 2u);
    EXPECT_EQ(j["Processes"][0],
              Json::parse(R"(["root","100","1","0","08:40","?","00:00:00","sh -c sleep 1000"])"));
    EXPECT_EQ(j["Processes"][1][7], "sleep 1000");
}

TEST(Top, NonUtf8CommandLine) {
    Json j = parse("PID CMD\n5 ab\xff\xfe\n", {5});
    EXPECT_EQ(j["Processes"][0][1], "ab\xef\xbf\xbd\xef\xbf\xbd");
}

TEST(Top, ThreadRowsFollowTheirProcess) {
    std::string out =
        "USER PID TID CMD\n"
        "root 1 - init\n"
        "root - 1 -\n"
        "root 7 - app\n"
        "root - 7 -\n"
        "root - 8 -\n";
    Json j = parse(out, {7});
    ASSERT_EQ(j["Processes"].size(), 3u) << j.dump();
    EXPECT_EQ(j["Processes"][0][1], "7");
    EXPECT_EQ(j["Processes"][2][2], "8");
}

TEST(Top, Errors) {
    auto r = parsePsOutput("UID CMD\nroot x\n", {1});
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().msg, "Couldn't find PID field in ps output");
    r = parsePsOutput("UID PID CMD\nroot abc x\n", {1});
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().msg, "Unexpected pid 'abc'");
    auto v = topJson({1}, "-o pid,user=PID");
    ASSERT_FALSE(v);
    EXPECT_EQ(v.error().code, EINVAL);
    // docker's regexp takes the whole "pid,user" as the key.
    EXPECT_EQ(v.error().msg, "specifying \"pid,user=PID\" is not allowed");
    // The same cases as docker's regexp (checked against a regexp engine).
    struct Arg {
        const char* args;
        const char* msg;  // "" = accepted
    };
    for (const Arg& c :
         {Arg{"-o user=PID", "specifying \"user=PID\" is not allowed"},
          Arg{"-o pid=PID,user=PID", "specifying \"pid=PID,user=PID\" is not allowed"},
          Arg{"aux -o a= PIDx", "specifying \"a=PIDx\" is not allowed"},
          Arg{" x= y=PID", "specifying \"y=PID\" is not allowed"},
          Arg{" =PID", "specifying \"=PID\" is not allowed"}, Arg{"-o pid=PID", ""}, Arg{"-ef", ""},
          Arg{"-o pid,user=X", ""}}) {
        auto r = topJson({}, c.args);
        if (*c.msg) {
            ASSERT_FALSE(r) << c.args;
            EXPECT_EQ(r.error().msg, c.msg);
        } else {
            EXPECT_TRUE(r) << c.args << ": " << r.error().str();
        }
    }
    auto bad = topJson({1}, "--no-such-option");
    ASSERT_FALSE(bad);
    EXPECT_EQ(bad.error().msg.rfind("ps: ", 0), 0u) << bad.error().msg;
}

// The real procps ps against two children of this test.
TEST(Top, RunsHostPs) {
    pid_t a = fork();
    if (a == 0) {
        execl("/bin/sleep", "sleep", "1000", static_cast<char*>(nullptr));
        _exit(127);
    }
    pid_t b = fork();
    if (b == 0) {
        execl("/bin/sleep", "sleep", "1001", static_cast<char*>(nullptr));
        _exit(127);
    }
    usleep(100000);  // let both exec
    auto def = topJson({a, b}, "");
    auto aux = topJson({b}, "aux");
    auto forest = topJson({a}, "-ef f");  // "f" cannot go with -q: the retry lists everything
    kill(a, SIGKILL);
    kill(b, SIGKILL);
    waitpid(a, nullptr, 0);
    waitpid(b, nullptr, 0);

    ASSERT_TRUE(def) << def.error().str();
    Json j = Json::parse(*def);
    EXPECT_EQ(j["Titles"][1], "PID");
    ASSERT_EQ(j["Processes"].size(), 2u) << j.dump();
    EXPECT_EQ(j["Processes"][0][1], std::to_string(a));
    EXPECT_EQ(j["Processes"][0].back(), "sleep 1000");
    EXPECT_EQ(j["Processes"][1].back(), "sleep 1001");

    ASSERT_TRUE(aux) << aux.error().str();
    Json x = Json::parse(*aux);
    EXPECT_EQ(x["Titles"][0], "USER");
    ASSERT_EQ(x["Processes"].size(), 1u);
    EXPECT_EQ(x["Processes"][0][1], std::to_string(b));
    EXPECT_EQ(x["Processes"][0].back(), "sleep 1001");

    ASSERT_TRUE(forest) << forest.error().str();
    Json f = Json::parse(*forest);
    ASSERT_EQ(f["Processes"].size(), 1u) << f.dump();
    EXPECT_NE(f["Processes"][0].back().get<std::string>().find("sleep 1000"), std::string::npos);
}

}  // namespace
}  // namespace berth::engine
