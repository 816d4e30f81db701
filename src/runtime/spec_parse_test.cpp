#include <gtest/gtest.h>
#include <sys/wait.h>
#include <fcntl.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "runtime/spec.h"

namespace fs = std::filesystem;
using berth::spec::loadSpec;
using berth::spec::parseProcess;
using berth::spec::parseResources;
using berth::spec::parseSpec;
using berth::spec::Spec;

namespace {

// The runtime-spec copy: $BERTH_SPECS_DIR (the specs dir or its oci-runtime/), else
// <repo>/../shared/specs/oci-runtime located from this source file. Empty when absent.
fs::path specsDir() {
    if (const char* env = std::getenv("BERTH_SPECS_DIR")) {
        fs::path p(env);
        if (fs::exists(p / "oci-runtime" / "config-schema.json")) return p / "oci-runtime";
        if (fs::exists(p / "config-schema.json")) return p;
    }
    fs::path repo = fs::path(__FILE__).parent_path().parent_path().parent_path();
    fs::path p = repo.parent_path() / "shared" / "specs" / "oci-runtime";
    return fs::exists(p / "config-schema.json") ? p : fs::path();
}

std::string readAll(const fs::path& p) {
    std::ifstream in(p);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

// The error message of a parse that must fail.
std::string errorOf(std::string_view json) {
    auto r = parseSpec(json);
    if (r.ok()) return "<parsed>";
    EXPECT_EQ(r.error().code, EINVAL);
    EXPECT_EQ(r.error().str(), r.error().msg) << "no errno name after input errors";
    return r.error().msg;
}

// A valid config with `process` and `linux` bodies spliced in.
std::string config(const std::string& process, const std::string& linuxBody,
                   const std::string& extra = "") {
    std::string s = R"({"ociVersion": "1.2.0", "root": {"path": "rootfs"})";
    if (!process.empty()) s += R"(, "process": {"cwd": "/", "args": ["sh"])" + process + "}";
    if (!linuxBody.empty()) s += R"(, "linux": {)" + linuxBody + "}";
    return s + extra + "}";
}

#define SKIP_WITHOUT_SPECS(dir)                                     \
    if ((dir).empty())                                              \
    GTEST_SKIP() << "runtime-spec copy not found (../shared/specs " \
                    "or BERTH_SPECS_DIR)"

TEST(SpecParse, UpstreamGoodLinuxConfigsParse) {
    fs::path dir = specsDir();
    SKIP_WITHOUT_SPECS(dir);
    for (const char* name : {"minimal.json", "minimal-for-start.json", "spec-example.json",
                             "linux-rdma.json", "linux-netdevice.json"}) {
        auto r = parseSpec(readAll(dir / "test/config/good" / name));
        EXPECT_TRUE(r.ok()) << name << ": " << r.error().str();
    }
    // The other platforms' examples need only not crash.
    for (const auto& e : fs::directory_iterator(dir / "test/config/good")) {
        (void)parseSpec(readAll(e.path()));
    }
}

TEST(SpecParse, UpstreamBadConfigsNameTheField) {
    fs::path dir = specsDir();
    SKIP_WITHOUT_SPECS(dir);
    auto bad = [&](const char* name) { return errorOf(readAll(dir / "test/config/bad" / name)); };
    EXPECT_EQ(bad("invalid-json.json"),
              "config.json: invalid JSON at line 1, column 2: syntax error while parsing object "
              "key - unexpected ']'; expected string literal");
    EXPECT_EQ(bad("linux-hugepage.json"),
              "linux.resources.hugepageLimits[0].pageSize: \"64kB\" is not a page size like 2MB "
              "or 1GB");
    EXPECT_EQ(bad("linux-netdevice.json"),
              "linux.netDevices.eth0.name: expected string, got integer");
    EXPECT_EQ(bad("linux-rdma.json"),
              "linux.resources.rdma.mlx5_1.hcaHandles: expected unsigned integer, got string");
    // freebsd-vnet-disable.json is bad only in the freebsd section, which Linux ignores.
    EXPECT_TRUE(parseSpec(readAll(dir / "test/config/bad/freebsd-vnet-disable.json")).ok());
}

TEST(SpecParse, SpecExampleFieldsLandInTheStructs) {
    fs::path dir = specsDir();
    SKIP_WITHOUT_SPECS(dir);
    auto r = parseSpec(readAll(dir / "test/config/good/spec-example.json"));
    ASSERT_TRUE(r.ok()) << r.error().str();
    const Spec& s = *r;
    ASSERT_TRUE(s.process && s.root && s.hooks && s.linux);
    EXPECT_EQ(s.process->user.uid, 1u);
    EXPECT_EQ(s.process->user.additionalGids, (std::vector<uint32_t>{5, 6}));
    ASSERT_EQ(s.process->rlimits.size(), 2u);
    EXPECT_EQ(s.process->rlimits[1].type, "RLIMIT_NOFILE");
    EXPECT_EQ(s.process->rlimits[1].hard, 1024u);
    EXPECT_EQ(s.process->capabilities->ambient, (std::vector<std::string>{"CAP_NET_BIND_SERVICE"}));
    EXPECT_TRUE(s.root->readonly);
    EXPECT_EQ(s.hostname, "slartibartfast");
    ASSERT_EQ(s.mounts.size(), 7u);
    EXPECT_EQ(s.mounts[2].options[3], "ptmxmode=0666");  // options stay strings, in order
    ASSERT_EQ(s.hooks->poststart.size(), 1u);
    EXPECT_EQ(s.hooks->poststart[0].timeout, 5);
    EXPECT_EQ(s.hooks->prestart[0].args.size(), 3u);
    const auto& l = *s.linux;
    ASSERT_EQ(l.devices.size(), 2u);
    EXPECT_EQ(l.devices[0].major, 10);
    EXPECT_EQ(l.devices[0].fileMode, 438u);
    EXPECT_EQ(l.uidMappings[0].hostID, 1000u);
    EXPECT_EQ(l.namespaces.size(), 8u);
    EXPECT_EQ(l.timeOffsetsSecs.at("boottime"), 604800);
    EXPECT_EQ(l.timeOffsetsNanosecs.at("monotonic"), 0u);
    EXPECT_EQ(l.sysctl.at("net.core.somaxconn"), "256");
    EXPECT_EQ(l.rootfsPropagation, "slave");
    ASSERT_TRUE(l.resources && l.resources->memory && l.resources->cpu);
    EXPECT_EQ(l.resources->memory->kernel, -1);
    EXPECT_EQ(l.resources->cpu->cpus, "2-3");
    EXPECT_EQ(l.resources->cpu->burst, 1000000);
    EXPECT_EQ(l.resources->hugepageLimits[0].limit, 9223372036854772000ull);
    EXPECT_EQ(l.resources->devices[1].major, 10);
    EXPECT_FALSE(l.resources->devices[0].major.has_value());
    EXPECT_EQ(l.resources->blockIO->weightDevice[0].leafWeight, 300);
    EXPECT_EQ(l.resources->blockIO->throttleWriteIOPSDevice[0].rate, 300u);
    EXPECT_EQ(l.resources->network->priorities[1].priority, 1000u);
    ASSERT_TRUE(l.seccomp);
    EXPECT_EQ(l.seccomp->syscalls[0].names[1], "chmod");
    EXPECT_EQ(s.annotations.at("com.example.key2"), "value2");
}

TEST(SpecParse, InvalidJsonReportsLineAndColumn) {
    EXPECT_EQ(errorOf("{\n  \"ociVersion\": \"1.0.0\",\n  \"root\": {]\n}"),
              "config.json: invalid JSON at line 3, column 12: syntax error while parsing "
              "object key - unexpected ']'; expected string literal");
    EXPECT_EQ(errorOf(""),
              "config.json: invalid JSON at line 1, column 1: syntax error while parsing value - "
              "unexpected end of input; expected '[', '{', or a literal");
    EXPECT_EQ(errorOf("[1]"), "config.json: expected object, got array");
}

TEST(SpecParse, AcceptsEverySupportedVersion) {
    for (const char* v : {"1.0.0", "1.0.1", "1.0.2", "1.0.2-dev", "1.1.0", "1.1.0-rc.1", "1.2.0",
                          "1.2.1", "1.3.0", "1.3.7+build.5"}) {
        std::string json = std::string(R"({"ociVersion": ")") + v + R"("})";
        auto r = parseSpec(json);
        EXPECT_TRUE(r.ok()) << v << ": " << r.error().str();
        if (r.ok()) {
            EXPECT_EQ(r->ociVersion, v);
        }
    }
}

TEST(SpecParse, RejectsUnsupportedOrMalformedVersions) {
    EXPECT_EQ(errorOf(R"({"ociVersion": "2.0.0"})"),
              "ociVersion \"2.0.0\" is not supported (this runtime supports 1.0.0 to 1.3.x)");
    EXPECT_EQ(errorOf(R"({"ociVersion": "1.4.0"})"),
              "ociVersion \"1.4.0\" is not supported (this runtime supports 1.0.0 to 1.3.x)");
    EXPECT_EQ(errorOf(R"({"ociVersion": "1.0"})"),
              "ociVersion: \"1.0\" is not a SemVer version (MAJOR.MINOR.PATCH)");
    EXPECT_EQ(errorOf(R"({"ociVersion": "1.0.0-"})"),
              "ociVersion: \"1.0.0-\" is not a SemVer version (MAJOR.MINOR.PATCH)");
    EXPECT_EQ(errorOf(R"({"root": {"path": "rootfs"}})"), "ociVersion: required field is missing");
    EXPECT_EQ(errorOf(R"({"ociVersion": 1})"), "ociVersion: expected string, got integer");
}

TEST(SpecParse, NumbersAreTypeAndRangeChecked) {
    EXPECT_EQ(
        errorOf(config(R"(, "rlimits": [{"type": "RLIMIT_NOFILE", "soft": 1, "hard": "2"}])", "")),
        "process.rlimits[0].hard: expected unsigned integer, got string");
    EXPECT_EQ(errorOf(config(R"(, "user": {"uid": -1, "gid": 0})", "")),
              "process.user.uid: expected unsigned integer, got negative integer -1");
    EXPECT_EQ(errorOf(config(R"(, "user": {"uid": 4294967296})", "")),
              "process.user.uid: 4294967296 is out of range (maximum 4294967295)");
    EXPECT_EQ(errorOf(config(R"(, "user": {"gid": 1.5})", "")),
              "process.user.gid: expected unsigned integer, got number");
    EXPECT_EQ(errorOf(config(R"(, "user": {"additionalGids": [1, -2]})", "")),
              "process.user.additionalGids[1]: expected unsigned integer, got negative integer -2");
    EXPECT_EQ(errorOf(config("", R"("resources": {"memory": {"limit": 9223372036854775808}})")),
              "linux.resources.memory.limit: 9223372036854775808 is out of range (maximum "
              "9223372036854775807)");
    EXPECT_EQ(errorOf(config(R"(, "oomScoreAdj": -3000000000)", "")),
              "process.oomScoreAdj: -3000000000 is out of range (minimum -2147483648)");
    EXPECT_EQ(errorOf(config("", R"("devices": [{"type": "c", "path": "/dev/x", "major": 1,
              "minor": 3, "fileMode": "0666"}])")),
              "linux.devices[0].fileMode: expected unsigned integer, got string");
    auto r = parseSpec(config(R"(, "user": {"uid": 4294967295, "umask": 18})",
                              R"("resources": {"memory": {"limit": -1, "swappiness": 0}})"));
    ASSERT_TRUE(r.ok()) << r.error().str();
    EXPECT_EQ(r->process->user.uid, 4294967295u);
    EXPECT_EQ(r->process->user.umask, 18u);
    EXPECT_EQ(r->linux->resources->memory->limit, -1);
    EXPECT_EQ(r->linux->resources->memory->swappiness, 0u);
}

TEST(SpecParse, ProcessRequiredFields) {
    EXPECT_EQ(errorOf(R"({"ociVersion": "1.0.0", "process": {"cwd": "/"}})"),
              "process.args: required field is missing");
    EXPECT_EQ(errorOf(R"({"ociVersion": "1.0.0", "process": {"cwd": "/", "args": []}})"),
              "process.args: must not be empty");
    EXPECT_EQ(errorOf(R"({"ociVersion": "1.0.0", "process": {"args": ["sh"]}})"),
              "process.cwd: required field is missing");
    EXPECT_EQ(errorOf(R"({"ociVersion": "1.0.0", "process": {"args": ["sh"], "cwd": "tmp"}})"),
              "process.cwd: must be an absolute path, got \"tmp\"");
    EXPECT_EQ(errorOf(R"({"ociVersion": "1.0.0", "process": "sh"})"),
              "process: expected object, got string");
    EXPECT_EQ(errorOf(config(R"(, "rlimits": [{"type": "RLIMIT_CPU", "soft": 1}])", "")),
              "process.rlimits[0].hard: required field is missing");
    EXPECT_EQ(errorOf(config(R"(, "rlimits": [{"type": "NOFILE", "soft": 1, "hard": 1}])", "")),
              "process.rlimits[0].type: \"NOFILE\" is not an rlimit name (RLIMIT_...)");
    EXPECT_EQ(errorOf(config(R"(, "rlimits": [{"type": "RLIMIT_CPU", "soft": 1, "hard": 1},
                                              {"type": "RLIMIT_CPU", "soft": 2, "hard": 2}])",
                             "")),
              "process.rlimits: duplicate rlimit type \"RLIMIT_CPU\"");
    EXPECT_EQ(errorOf(config(R"(, "rlimits": [{"type": "RLIMIT_CPU", "soft": 5, "hard": 1}])", "")),
              "process.rlimits[0]: soft limit 5 is above the hard limit 1");
    EXPECT_EQ(errorOf(config(R"(, "ioPriority": {"class": "IOPRIO_CLASS_X"})", "")),
              "process.ioPriority.class: unknown I/O priority class \"IOPRIO_CLASS_X\"");
    EXPECT_EQ(errorOf(config(R"(, "scheduler": {"policy": "SCHED_RR", "flags": ["X"]})", "")),
              "process.scheduler.flags[0]: unknown scheduler flag \"X\"");
    EXPECT_EQ(errorOf(config(R"(, "execCPUAffinity": {"initial": "0-3;7"})", "")),
              "process.execCPUAffinity.initial: \"0-3;7\" is not a cpu list");
}

TEST(SpecParse, NamespaceRules) {
    EXPECT_EQ(errorOf(config("", R"("namespaces": [{"type": "pid"}, {"type": "mount"},
                                                   {"type": "foo"}])")),
              "linux.namespaces[2].type: unknown namespace type \"foo\"");
    EXPECT_EQ(errorOf(config("", R"("namespaces": [{"type": "pid"}, {"type": "pid"}])")),
              "linux.namespaces: duplicate namespace type \"pid\"");
    EXPECT_EQ(errorOf(config("", R"("namespaces": [{"type": "network", "path": "run/netns/x"}])")),
              "linux.namespaces[0].path: must be an absolute path, got \"run/netns/x\"");
    EXPECT_EQ(errorOf(config("", R"("namespaces": [{"path": "/proc/1/ns/pid"}])")),
              "linux.namespaces[0].type: required field is missing");
    EXPECT_EQ(errorOf(config("", R"("uidMappings": [{"containerID": 0, "hostID": 1000,
              "size": 1}], "namespaces": [{"type": "mount"}])")),
              "linux.uidMappings: uid mappings require a user namespace in linux.namespaces");
    EXPECT_EQ(errorOf(config("", R"("gidMappings": [{"containerID": 0, "hostID": 1000}],
              "namespaces": [{"type": "user"}])")),
              "linux.gidMappings[0].size: required field is missing");
    EXPECT_EQ(errorOf(config("", R"("namespaces": [{"type": "mount"}])", R"(, "hostname": "web")")),
              "hostname: setting the hostname requires a UTS namespace in linux.namespaces");
    auto r = parseSpec(config("", R"("namespaces": [{"type": "uts"},
        {"type": "network", "path": "/run/netns/x"}])",
                              R"(, "hostname": "web")"));
    ASSERT_TRUE(r.ok()) << r.error().str();
    EXPECT_EQ(r->findNamespace("network")->path, "/run/netns/x");
    EXPECT_EQ(r->hostname, "web");
}

TEST(SpecParse, TimeOffsets) {
    auto r = parseSpec(config("", R"("namespaces": [{"type": "time"}], "timeOffsets":
        {"monotonic": {"secs": -5, "nanosecs": 7}, "boottime": {"secs": 86400}})"));
    ASSERT_TRUE(r.ok()) << r.error().str();
    EXPECT_EQ(r->linux->timeOffsetsSecs.at("monotonic"), -5);
    EXPECT_EQ(r->linux->timeOffsetsNanosecs.at("monotonic"), 7u);
    EXPECT_EQ(r->linux->timeOffsetsSecs.at("boottime"), 86400);
    EXPECT_EQ(errorOf(config("", R"("namespaces": [{"type": "time"}],
              "timeOffsets": {"realtime": {"secs": 1}})")),
              "linux.timeOffsets: unknown clock \"realtime\" (expected monotonic or boottime)");
    EXPECT_EQ(errorOf(config("", R"("namespaces": [{"type": "time"}],
              "timeOffsets": {"boottime": {"nanosecs": 1000000000}})")),
              "linux.timeOffsets.boottime.nanosecs: 1000000000 is not below one second "
              "(1000000000)");
    EXPECT_EQ(errorOf(config("", R"("timeOffsets": {"boottime": {"secs": 1}})")),
              "linux.timeOffsets: time offsets require a time namespace in linux.namespaces");
}

TEST(SpecParse, DevicesMountsHooksAndSeccomp) {
    EXPECT_EQ(errorOf(config("", R"("devices": [{"type": "x", "path": "/dev/x"}])")),
              "linux.devices[0].type: unknown device type \"x\" (expected c, b, u or p)");
    EXPECT_EQ(errorOf(config("", R"("devices": [{"type": "c", "path": "dev/null", "major": 1,
              "minor": 3}])")),
              "linux.devices[0].path: must be an absolute path, got \"dev/null\"");
    EXPECT_EQ(errorOf(config("", R"("devices": [{"type": "c", "path": "/dev/null", "minor": 3}])")),
              "linux.devices[0].major: required field is missing");
    EXPECT_TRUE(parseSpec(config("", R"("devices": [{"type": "p", "path": "/dev/fifo"}])")).ok());
    EXPECT_EQ(errorOf(R"({"ociVersion": "1.0.0", "mounts": [{"source": "/x"}]})"),
              "mounts[0].destination: required field is missing");
    EXPECT_EQ(errorOf(R"({"ociVersion": "1.0.0", "mounts": [{"destination": "/x",
              "options": ["ro", 1]}]})"),
              "mounts[0].options[1]: expected string, got integer");
    EXPECT_EQ(errorOf(R"({"ociVersion": "1.0.0", "hooks": {"prestart": [{"path": "bin/true"}]}})"),
              "hooks.prestart[0].path: must be an absolute path, got \"bin/true\"");
    EXPECT_EQ(errorOf(R"({"ociVersion": "1.0.0", "hooks": {"poststop": [{"args": ["x"]}]}})"),
              "hooks.poststop[0].path: required field is missing");
    EXPECT_EQ(errorOf(R"({"ociVersion": "1.0.0", "hooks": {"createRuntime": [
              {"path": "/bin/true"}, {"path": "/bin/true", "timeout": 0}]}})"),
              "hooks.createRuntime[1].timeout: must be greater than zero, got 0");
    EXPECT_EQ(errorOf(config("", R"("seccomp": {"syscalls": []})")),
              "linux.seccomp.defaultAction: required field is missing");
    EXPECT_EQ(errorOf(config("", R"("seccomp": {"defaultAction": "SCMP_ACT_ALLOW",
              "syscalls": [{"names": [], "action": "SCMP_ACT_ERRNO"}]})")),
              "linux.seccomp.syscalls[0].names: must not be empty");
    EXPECT_EQ(errorOf(config("", R"("seccomp": {"defaultAction": "SCMP_ACT_ALLOW",
              "syscalls": [{"names": ["kill"], "action": "SCMP_ACT_ERRNO",
              "args": [{"index": 0, "value": 9}]}]})")),
              "linux.seccomp.syscalls[0].args[0].op: required field is missing");
    EXPECT_EQ(errorOf(config("", R"("rootfsPropagation": "sideways")")),
              "linux.rootfsPropagation: unknown propagation \"sideways\"");
    EXPECT_EQ(
        errorOf(config("", R"("resources": {"devices": [{"allow": true, "access": "rwx"}]})")),
        "linux.resources.devices[0].access: \"rwx\" is not a subset of \"rwm\"");
    EXPECT_EQ(errorOf(config("", R"("resources": {"pids": {}})")),
              "linux.resources.pids.limit: required field is missing");
}

TEST(SpecParse, UnknownFieldsAndNullsAreIgnored) {
    auto r = parseSpec(R"({"ociVersion": "1.1.0", "futureThing": {"x": [1]},
        "process": {"cwd": "/", "args": ["sh"], "newField": 3, "env": null},
        "linux": {"namespaces": [{"type": "pid", "flavour": "new"}], "seccomp": null},
        "windows": {"layerFolders": 5}, "vm": "not even an object"})");
    ASSERT_TRUE(r.ok()) << r.error().str();
    EXPECT_TRUE(r->process->env.empty());
    EXPECT_FALSE(r->linux->seccomp.has_value());
    EXPECT_TRUE(r->hasNamespace("pid"));
}

TEST(SpecParse, LoadSpecReadsTheBundle) {
    char tmpl[] = "/tmp/berth-spec-test.XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    std::string dir = tmpl;
    auto missing = loadSpec(dir);
    ASSERT_FALSE(missing.ok());
    EXPECT_EQ(missing.error().str(), "open " + dir + "/config.json: ENOENT");
    std::ofstream(dir + "/config.json") << R"({"ociVersion": "1.0.2-dev", "root": {"path": "r"}})";
    auto r = loadSpec(dir + "/");
    ASSERT_TRUE(r.ok()) << r.error().str();
    EXPECT_EQ(r->root->path, "r");

    // Relative bind sources are made relative to the bundle; others are left alone.
    std::ofstream(dir + "/config.json") << R"({"ociVersion": "1.0.2", "mounts": [
        {"destination": "/a", "type": "bind", "source": "data"},
        {"destination": "/b", "type": "none", "source": "sub/dir", "options": ["rbind", "ro"]},
        {"destination": "/c", "type": "bind", "source": "/abs"},
        {"destination": "/d", "type": "tmpfs", "source": "tmpfs"}]})";
    r = loadSpec(dir);
    ASSERT_TRUE(r.ok()) << r.error().str();
    ASSERT_EQ(r->mounts.size(), 4u);
    EXPECT_EQ(r->mounts[0].source, dir + "/data");
    EXPECT_EQ(r->mounts[1].source, dir + "/sub/dir");
    EXPECT_EQ(r->mounts[2].source, "/abs");
    EXPECT_EQ(r->mounts[3].source, "tmpfs");
    fs::remove_all(dir);
}

TEST(SpecParse, StandaloneProcessAndResources) {
    auto p = parseProcess(R"({"cwd": "/srv", "args": ["ls", "-l"], "terminal": true,
                              "user": {"uid": 33, "gid": 33}})");
    ASSERT_TRUE(p.ok()) << p.error().str();
    EXPECT_EQ(p->args, (std::vector<std::string>{"ls", "-l"}));
    EXPECT_EQ(p->user.uid, 33u);
    EXPECT_EQ(parseProcess(R"({"cwd": "/"})").error().msg, "args: required field is missing");
    EXPECT_EQ(parseProcess("{").error().msg,
              "process.json: invalid JSON at line 1, column 1: syntax error while parsing object "
              "key - unexpected end of input; expected string literal");
    auto r = parseResources(R"({"memory": {"limit": 1048576}, "pids": {"limit": 10},
                                "unified": {"memory.high": "max"}})");
    ASSERT_TRUE(r.ok()) << r.error().str();
    EXPECT_EQ(r->memory->limit, 1048576);
    EXPECT_EQ(r->pids->limit, 10);
    EXPECT_EQ(r->unified.at("memory.high"), "max");
    EXPECT_EQ(parseResources(R"({"memory": {"limit": "1g"}})").error().msg,
              "memory.limit: expected integer, got string");
    EXPECT_EQ(parseResources("[]").error().msg, "resources: expected object, got array");
}

// `runc spec` in a temp dir, or "" when runc is not installed.
std::string runcSpec(bool rootless) {
    char tmpl[] = "/tmp/berth-runc-spec.XXXXXX";
    if (mkdtemp(tmpl) == nullptr) return "";
    std::string dir = tmpl;
    // runc run directly (no shell), in the temp dir via --bundle.
    pid_t pid = fork();
    if (pid == 0) {
        int null = open("/dev/null", O_WRONLY);
        dup2(null, 1);
        dup2(null, 2);
        if (rootless) {
            execlp("runc", "runc", "spec", "--bundle", dir.c_str(), "--rootless", nullptr);
        } else {
            execlp("runc", "runc", "spec", "--bundle", dir.c_str(), nullptr);
        }
        _exit(127);
    }
    int status = -1;
    if (pid > 0) waitpid(pid, &status, 0);
    bool ok = pid > 0 && WIFEXITED(status) && WEXITSTATUS(status) == 0;
    std::string out = ok ? readAll(dir + "/config.json") : "";
    fs::remove_all(dir);
    return out;
}

TEST(SpecDefault, RoundTripsThroughParseSpec) {
    std::string text = berth::spec::defaultSpecJson(false);
    EXPECT_EQ(text.rfind("{\n\t\"ociVersion\": ", 0), 0u) << "tab-indented like runc";
    auto r = parseSpec(text);
    ASSERT_TRUE(r.ok()) << r.error().str();
    EXPECT_EQ(r->process->args, (std::vector<std::string>{"sh"}));
    EXPECT_TRUE(r->process->terminal);
    EXPECT_EQ(r->process->capabilities->bounding,
              (std::vector<std::string>{"CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"}));
    EXPECT_EQ(r->process->rlimits[0].soft, 1024u);
    EXPECT_EQ(r->mounts.size(), 7u);
    EXPECT_TRUE(r->hasNamespace("network"));
    EXPECT_FALSE(r->hasNamespace("user"));
}

TEST(SpecDefault, RootlessMapsTheCurrentUser) {
    auto r = parseSpec(berth::spec::defaultSpecJson(true));
    ASSERT_TRUE(r.ok()) << r.error().str();
    EXPECT_TRUE(r->hasNamespace("user"));
    EXPECT_FALSE(r->hasNamespace("network"));
    ASSERT_EQ(r->linux->uidMappings.size(), 1u);
    EXPECT_EQ(r->linux->uidMappings[0].hostID, geteuid());
    EXPECT_EQ(r->linux->gidMappings[0].hostID, getegid());
    for (const auto& m : r->mounts) EXPECT_NE(m.type, "cgroup");
    EXPECT_EQ(r->mounts.back().source, "/sys");
    EXPECT_EQ(r->mounts.back().options[0], "rbind");
}

// Same document as runc's template apart from the version and hostname (and, rootless, the
// cgroup mount we leave out).
TEST(SpecDefault, MatchesRuncSpec) {
    for (bool rootless : {false, true}) {
        std::string runc = runcSpec(rootless);
        if (runc.empty()) GTEST_SKIP() << "runc not installed";
        auto theirs = nlohmann::json::parse(runc);
        auto ours = nlohmann::json::parse(berth::spec::defaultSpecJson(rootless));
        for (auto* j : {&theirs, &ours}) {
            j->erase("ociVersion");
            j->erase("hostname");
        }
        if (rootless) {
            auto& mounts = theirs["mounts"];
            for (size_t i = 0; i < mounts.size(); i++) {
                if (mounts[i]["type"] == "cgroup") mounts.erase(i--);
            }
        }
        EXPECT_EQ(ours, theirs) << "rootless=" << rootless << "\n"
                                << ours.dump(1) << "\n"
                                << theirs.dump(1);
    }
}

}  // namespace
