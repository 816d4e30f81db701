#include "cli/verbs/container_opts.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>

#include <nlohmann/json.hpp>

namespace berth::cli {
namespace {

using nlohmann::json;

Result<json> body(std::vector<std::string> args, ContainerSpec* out = nullptr) {
    Flags f;
    defineContainerFlags(f, true);
    TRY(f.parse(args, false));
    auto spec = TRY(parseContainerOpts(f));
    if (out) *out = spec;
    return json::parse(spec.body);
}

std::string errOf(std::vector<std::string> args, int* code = nullptr) {
    auto r = body(std::move(args));
    if (r) return "";
    if (code) *code = r.error().code;
    return r.error().msg;
}

TEST(ContainerOpts, Defaults) {
    auto j = *body({"busybox"});
    EXPECT_EQ(j["Image"], "busybox");
    EXPECT_TRUE(j["Cmd"].is_null());
    EXPECT_TRUE(j["AttachStdout"]);
    EXPECT_TRUE(j["AttachStderr"]);
    EXPECT_FALSE(j["AttachStdin"]);
    EXPECT_EQ(j["HostConfig"]["NetworkMode"], "default");
    EXPECT_EQ(j["HostConfig"]["RestartPolicy"]["Name"], "no");
    EXPECT_EQ(j["HostConfig"]["MemorySwappiness"], -1);
    EXPECT_EQ(j["HostConfig"]["Dns"], json::array());
    EXPECT_TRUE(j["HostConfig"]["Binds"].is_null());
    EXPECT_FALSE(j["HostConfig"].contains("Init"));
    EXPECT_TRUE(j["NetworkingConfig"]["EndpointsConfig"].contains("default"));
}

TEST(ContainerOpts, CommandAttachAndStdin) {
    ContainerSpec s;
    auto j = *body({"-i", "-a", "STDOUT", "busybox", "sh", "-c", "x"}, &s);
    EXPECT_EQ(j["Cmd"], json({"sh", "-c", "x"}));
    EXPECT_TRUE(j["AttachStdin"]);
    EXPECT_TRUE(j["AttachStdout"]);
    EXPECT_FALSE(j["AttachStderr"]);
    EXPECT_TRUE(j["OpenStdin"]);
    EXPECT_TRUE(j["StdinOnce"]);
    EXPECT_TRUE(s.attachStdin);
    EXPECT_EQ(s.attach, std::vector<std::string>{"stdout"});
}

TEST(ContainerOpts, Ports) {
    auto j = *body({"-p", "8080:80", "-p", "127.0.0.1:9000-9001:90-91/udp", "-p", "53", "-p",
                    "[::1]:81:81", "-p", "7000-7002:90", "-p", "published=5000,target=50",
                    "--expose", "6000-6001/udp", "busybox"});
    auto& pb = j["HostConfig"]["PortBindings"];
    EXPECT_EQ(pb["80/tcp"][0]["HostPort"], "8080");
    EXPECT_EQ(pb["80/tcp"][0]["HostIp"], "");
    EXPECT_EQ(pb["91/udp"][0]["HostIp"], "127.0.0.1");
    EXPECT_EQ(pb["91/udp"][0]["HostPort"], "9001");
    EXPECT_EQ(pb["53/tcp"][0]["HostPort"], "");
    EXPECT_EQ(pb["81/tcp"][0]["HostIp"], "::1");
    EXPECT_EQ(pb["90/tcp"][0]["HostPort"], "7000-7002");
    EXPECT_EQ(pb["50/tcp"][0]["HostPort"], "5000");
    for (auto p : {"80/tcp", "90/udp", "91/udp", "53/tcp", "6000/udp", "6001/udp"})
        EXPECT_TRUE(j["ExposedPorts"].contains(p)) << p;
}

TEST(ContainerOpts, PortErrors) {
    EXPECT_EQ(errOf({"-p", "abc", "busybox"}), "invalid containerPort: abc");
    EXPECT_EQ(errOf({"-p", "x:y:z:w", "busybox"}), "invalid IP address: x:y");
    EXPECT_EQ(errOf({"-p", "70000:80", "busybox"}), "invalid hostPort: 70000");
    EXPECT_EQ(errOf({"-p", "published=8080,x", "busybox"}),
              "invalid publish opts format (should be name=value but got 'x')");
    EXPECT_EQ(errOf({"-p", "80-81:90-93", "busybox"}),
              "invalid ranges specified for container and host Ports: 90-93 and 80-81");
    EXPECT_EQ(errOf({"--expose", "x", "busybox"}),
              "invalid range format for --expose: x, error: strconv.ParseUint: parsing \"x\": "
              "invalid syntax");
}

TEST(ContainerOpts, VolumesMountsTmpfs) {
    char cwd[4096];
    ASSERT_NE(getcwd(cwd, sizeof cwd), nullptr);
    auto j = *body({"-v", "/tmp:/mnt:ro,z", "-v", "named:/n", "-v", "/anon", "-v", "./rel:/r",
                    "--mount", "type=bind,src=/tmp,dst=/h,bind-propagation=rslave", "--mount",
                    "type=tmpfs,dst=/t,tmpfs-size=1m,tmpfs-mode=1770", "--mount",
                    "src=v,dst=/d,ro,volume-label=a=b", "--tmpfs", "/run:size=1m", "busybox"});
    auto& h = j["HostConfig"];
    EXPECT_EQ(h["Binds"], json({"/tmp:/mnt:ro,z", "named:/n", std::string(cwd) + "/rel:/r"}));
    EXPECT_EQ(j["Volumes"], json({{"/anon", json::object()}}));
    EXPECT_EQ(h["Mounts"][0]["BindOptions"]["Propagation"], "rslave");
    EXPECT_EQ(h["Mounts"][1]["TmpfsOptions"]["SizeBytes"], 1048576);
    EXPECT_EQ(h["Mounts"][1]["TmpfsOptions"]["Mode"], 01770);
    EXPECT_EQ(h["Mounts"][2]["Type"], "volume");
    EXPECT_EQ(h["Mounts"][2]["ReadOnly"], true);
    EXPECT_EQ(h["Mounts"][2]["VolumeOptions"]["Labels"]["a"], "b");
    EXPECT_EQ(h["Tmpfs"]["/run"], "size=1m");
}

TEST(ContainerOpts, MountErrorsAreFlagErrors) {
    int code = 0;
    EXPECT_EQ(errOf({"--mount", "type=bind", "busybox"}, &code),
              "invalid argument \"type=bind\" for \"--mount\" flag: target is required");
    EXPECT_EQ(code, kOptsFlagError);
    EXPECT_EQ(errOf({"--mount", "src=/x,dst=/y,bogus=1", "busybox"}),
              "invalid argument \"src=/x,dst=/y,bogus=1\" for \"--mount\" flag: unexpected key "
              "'bogus' in 'bogus=1'");
    EXPECT_EQ(errOf({"--mount", "type=volume,dst=/y,ro=maybe", "busybox"}),
              "invalid argument \"type=volume,dst=/y,ro=maybe\" for \"--mount\" flag: invalid "
              "value for ro: maybe");
}

TEST(ContainerOpts, ResourcesAndSizes) {
    auto j = *body({"-m", "64m", "--memory-reservation", "32m", "--memory-swap", "-1", "--shm-size",
                    "1g", "--cpus", "1.5", "-c", "5", "--pids-limit", "50", "--ulimit",
                    "nofile=100:200", "--ulimit", "nproc=5", "busybox"});
    auto& h = j["HostConfig"];
    EXPECT_EQ(h["Memory"], 64 << 20);
    EXPECT_EQ(h["MemoryReservation"], 32 << 20);
    EXPECT_EQ(h["MemorySwap"], -1);
    EXPECT_EQ(h["ShmSize"], int64_t{1} << 30);
    EXPECT_EQ(h["NanoCpus"], 1500000000);
    EXPECT_EQ(h["CpuShares"], 5);
    EXPECT_EQ(h["PidsLimit"], 50);
    EXPECT_EQ(h["Ulimits"][0], json({{"Name", "nofile"}, {"Soft", 100}, {"Hard", 200}}));
    EXPECT_EQ(h["Ulimits"][1], json({{"Name", "nproc"}, {"Soft", 5}, {"Hard", 5}}));
}

TEST(ContainerOpts, FlagValueErrorsUseDockersWording) {
    int code = 0;
    EXPECT_EQ(errOf({"-m", "x", "busybox"}, &code),
              "invalid argument \"x\" for \"-m, --memory\" flag: invalid size: 'x'");
    EXPECT_EQ(code, kOptsFlagError);
    EXPECT_EQ(errOf({"--memory-reservation", "1q", "busybox"}),
              "invalid argument \"1q\" for \"--memory-reservation\" flag: invalid suffix: 'q'");
    EXPECT_EQ(errOf({"--cpus", "1.5x", "busybox"}),
              "invalid argument \"1.5x\" for \"--cpus\" flag: failed to parse 1.5x as a rational "
              "number");
    EXPECT_EQ(errOf({"--ulimit", "nofile", "busybox"}),
              "invalid argument \"nofile\" for \"--ulimit\" flag: invalid ulimit argument: nofile");
    EXPECT_EQ(errOf({"--ulimit", "foo=1", "busybox"}),
              "invalid argument \"foo=1\" for \"--ulimit\" flag: invalid ulimit type: foo");
    EXPECT_EQ(errOf({"--health-interval", "x", "busybox"}),
              "invalid argument \"x\" for \"--health-interval\" flag: time: invalid duration "
              "\"x\"");
    EXPECT_EQ(errOf({"--sysctl", "kernel.foo=1", "busybox"}),
              "invalid argument \"kernel.foo=1\" for \"--sysctl\" flag: sysctl 'kernel.foo=1' is "
              "not allowed");
    EXPECT_EQ(errOf({"--add-host", "foo", "busybox"}),
              "invalid argument \"foo\" for \"--add-host\" flag: bad format for add-host: \"foo\"");
    EXPECT_EQ(errOf({"-a", "foo", "busybox"}),
              "invalid argument \"foo\" for \"-a, --attach\" flag: valid streams are STDIN, "
              "STDOUT and STDERR");
    EXPECT_EQ(errOf({"-e", "=x", "busybox"}),
              "invalid argument \"=x\" for \"-e, --env\" flag: invalid environment variable: =x");
}

TEST(ContainerOpts, OtherErrors) {
    int code = 0;
    EXPECT_EQ(errOf({"--pull", "bogus", "busybox"}, &code),
              "invalid pull option: 'bogus': must be one of \"always\", \"missing\" or \"never\"");
    EXPECT_NE(code, kOptsFlagError);
    EXPECT_EQ(errOf({"--rm", "--restart", "always", "busybox"}),
              "conflicting options: cannot specify both --restart and --rm");
    EXPECT_EQ(errOf({"--restart", "on-failure:x", "busybox"}),
              "invalid restart policy format: maximum retry count must be an integer");
    EXPECT_EQ(errOf({"--device", "/dev/null:/dev/a:q", "busybox"}), "bad mode specified: q");
    EXPECT_EQ(errOf({"--device", "/dev/x:y:z:w", "busybox"}), "bad format for path: /dev/x:y:z:w");
    EXPECT_EQ(errOf({"--pid", "foo", "busybox"}), "--pid: invalid PID mode");
    EXPECT_EQ(errOf({"--no-healthcheck", "--health-cmd", "x", "busybox"}),
              "--no-healthcheck conflicts with --health-* options");
    EXPECT_EQ(errOf({"--network-alias", "x", "busybox"}),
              "network-scoped aliases are only supported for user-defined networks");
    EXPECT_EQ(errOf({"--env-file", "/nonexistent/x", "busybox"}),
              "open /nonexistent/x: no such file or directory");
}

TEST(ContainerOpts, EnvLabelsHealthRestart) {
    std::string file = ::testing::TempDir() + "/h3-env.list";
    {
        std::ofstream o(file);
        o << "A=1\n# comment\n\n  B\nC=x y\n";
    }
    ::setenv("B", "fromenv", 1);
    ::unsetenv("H3_UNSET");
    auto j = *body({"--env-file",
                    file,
                    "-e",
                    "X=1",
                    "-e",
                    "B",
                    "-e",
                    "H3_UNSET",
                    "-l",
                    "a=b",
                    "-l",
                    "flag",
                    "--health-cmd",
                    "true",
                    "--health-interval",
                    "1s",
                    "--health-start-period",
                    "2m",
                    "--health-timeout",
                    "500ms",
                    "--health-retries",
                    "3",
                    "--restart",
                    "on-failure:3",
                    "--stop-timeout",
                    "7",
                    "--init",
                    "busybox"});
    EXPECT_EQ(j["Env"], json({"A=1", "B=fromenv", "C=x y", "X=1", "B=fromenv", "H3_UNSET"}));
    EXPECT_EQ(j["Labels"], json({{"a", "b"}, {"flag", ""}}));
    EXPECT_EQ(j["Healthcheck"]["Test"], json({"CMD-SHELL", "true"}));
    EXPECT_EQ(j["Healthcheck"]["Interval"], 1000000000);
    EXPECT_EQ(j["Healthcheck"]["StartPeriod"], int64_t{120} * 1000000000);
    EXPECT_EQ(j["Healthcheck"]["Timeout"], 500000000);
    EXPECT_EQ(j["Healthcheck"]["Retries"], 3);
    EXPECT_EQ(j["HostConfig"]["RestartPolicy"],
              json({{"Name", "on-failure"}, {"MaximumRetryCount", 3}}));
    EXPECT_EQ(j["StopTimeout"], 7);
    EXPECT_EQ(j["HostConfig"]["Init"], true);
    ::unlink(file.c_str());
}

TEST(ContainerOpts, NetworkCapsDevices) {
    auto j = *body({"--network",
                    "mynet",
                    "--network-alias",
                    "web",
                    "--ip",
                    "10.1.0.5",
                    "--cap-add",
                    "net_admin",
                    "--cap-drop",
                    "MKNOD",
                    "--cap-drop",
                    "net_admin",
                    "--device",
                    "/dev/null:/dev/xnull:r",
                    "--device",
                    "/dev/zero",
                    "--dns",
                    "8.8.8.8",
                    "--add-host",
                    "h=1.2.3.4",
                    "busybox"});
    auto& h = j["HostConfig"];
    EXPECT_EQ(h["NetworkMode"], "mynet");
    auto& ep = j["NetworkingConfig"]["EndpointsConfig"]["mynet"];
    EXPECT_EQ(ep["Aliases"], json({"web"}));
    EXPECT_EQ(ep["IPAMConfig"]["IPv4Address"], "10.1.0.5");
    EXPECT_EQ(h["CapAdd"], json({"CAP_NET_ADMIN"}));
    EXPECT_EQ(h["CapDrop"], json({"CAP_MKNOD"}));
    EXPECT_EQ(h["Devices"][0], json({{"PathOnHost", "/dev/null"},
                                     {"PathInContainer", "/dev/xnull"},
                                     {"CgroupPermissions", "r"}}));
    EXPECT_EQ(h["Devices"][1]["PathInContainer"], "/dev/zero");
    EXPECT_EQ(h["Devices"][1]["CgroupPermissions"], "rwm");
    EXPECT_EQ(h["Dns"], json({"8.8.8.8"}));
    EXPECT_EQ(h["ExtraHosts"], json({"h:1.2.3.4"}));

    auto host = *body({"--network", "host", "busybox"});
    EXPECT_EQ(host["NetworkingConfig"]["EndpointsConfig"], json::object());
}

TEST(ContainerOpts, Parsers) {
    EXPECT_EQ(*parseNanoCpus("0.5"), 500000000);
    EXPECT_EQ(*parseNanoCpus("2"), 2000000000);
    EXPECT_EQ(*parseNanoCpus("1/4"), 250000000);
    EXPECT_FALSE(parseNanoCpus("abc"));
    EXPECT_EQ(*parseDurationNs("1m30s"), int64_t{90} * 1000000000);
    auto u = *parseUlimit("nofile=1024");
    EXPECT_EQ(u.soft, 1024);
    EXPECT_EQ(u.hard, 1024);
    EXPECT_EQ(parseUlimit("nofile=2:1").error().msg,
              "ulimit soft limit must be less than or equal to hard limit: 2 > 1");
    auto d = *parseDevice("/dev/null:rw");
    EXPECT_EQ(d.pathInContainer, "/dev/null");
    EXPECT_EQ(d.permissions, "rw");
    auto ex = *parseExpose("80");
    EXPECT_EQ(ex, std::vector<std::string>{"80/tcp"});
}

}  // namespace
}  // namespace berth::cli
