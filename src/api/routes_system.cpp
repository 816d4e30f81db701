// /_ping, /version, /info, /system/df, /auth, /metrics.
#include <sys/statfs.h>
#include <sys/sysinfo.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <linux/magic.h>

#include <nlohmann/json.hpp>

#include "api/image_json.h"
#include "api/metrics.h"
#include "common/sys.h"
#include "image/service.h"

namespace berth::api {

using nlohmann::json;

namespace {

std::string kernelVersion() {
    utsname u{};
    ::uname(&u);
    return u.release;
}

std::string cgroupVersion() {
    struct statfs s {};
    if (::statfs("/sys/fs/cgroup", &s) == 0 && s.f_type == CGROUP2_SUPER_MAGIC) return "2";
    return "1";
}

std::string operatingSystem() {
    auto text = sys::readFile("/etc/os-release");
    if (!text) return "Linux";
    auto pos = text->find("PRETTY_NAME=");
    if (pos == std::string::npos) return "Linux";
    auto line = text->substr(pos + 12, text->find('\n', pos) - pos - 12);
    if (line.size() >= 2 && line.front() == '"') line = line.substr(1, line.size() - 2);
    return line;
}

std::string osVersion() {
    auto text = sys::readFile("/etc/os-release");
    if (!text) return "";
    auto pos = text->find("VERSION_ID=");
    if (pos == std::string::npos) return "";
    auto v = text->substr(pos + 11, text->find('\n', pos) - pos - 11);
    if (v.size() >= 2 && v.front() == '"') v = v.substr(1, v.size() - 2);
    return v;
}

std::string hostName() {
    char buf[256] = {};
    ::gethostname(buf, sizeof buf - 1);
    return buf;
}

Status ping(Context&, Exchange& ex) {
    Headers h{{"Builder-Version", "1"},
              {"Cache-Control", "no-cache, no-store, must-revalidate"},
              {"Pragma", "no-cache"},
              {"Swarm", "inactive"}};
    return ex.send(200, "text/plain; charset=utf-8", "OK", h);
}

Status version(Context&, Exchange& ex) {
    auto kv = kernelVersion();
    json details{{"ApiVersion", kApiVersion},
                 {"Arch", "amd64"},
                 {"BuildTime", ""},
                 {"Experimental", "false"},
                 {"GitCommit", ""},
                 {"GoVersion", "none (C++20)"},
                 {"KernelVersion", kv},
                 {"MinAPIVersion", kMinApiVersion},
                 {"Os", "linux"}};
    json j{{"Platform", {{"Name", "Berth Engine"}}},
           {"Components",
            json::array({{{"Name", "Engine"}, {"Version", kServerVersion}, {"Details", details}}})},
           {"Version", kServerVersion},
           {"ApiVersion", kApiVersion},
           {"MinAPIVersion", kMinApiVersion},
           {"GitCommit", ""},
           {"GoVersion", "none (C++20)"},
           {"Os", "linux"},
           {"Arch", "amd64"},
           {"KernelVersion", kv},
           {"BuildTime", ""}};
    return ex.sendJson(200, j);
}

json registryConfig(const DaemonInfo& info) {
    json cidrs = json::array({"::1/128", "127.0.0.0/8"});
    json index = json::object();
    index["docker.io"] = {
        {"Name", "docker.io"}, {"Mirrors", json::array()}, {"Secure", true}, {"Official", true}};
    for (auto& r : info.insecureRegistries) {
        if (r.find('/') != std::string::npos) {
            cidrs.push_back(r);
        } else {
            index[r] = {
                {"Name", r}, {"Mirrors", json::array()}, {"Secure", false}, {"Official", false}};
        }
    }
    return {{"AllowNondistributableArtifactsCIDRs", nullptr},
            {"AllowNondistributableArtifactsHostnames", nullptr},
            {"InsecureRegistryCIDRs", cidrs},
            {"IndexConfigs", index},
            {"Mirrors", json::array()}};
}

Status info(Context& c, Exchange& ex) {
    auto counts = c.engine.counts();
    struct sysinfo si {};
    ::sysinfo(&si);
    timespec ts{};
    clock_gettime(CLOCK_REALTIME, &ts);
    auto cgv = cgroupVersion();
    json sec = json::array({"name=seccomp,profile=builtin"});
    if (cgv == "2") sec.push_back("name=cgroupns");
    json j{{"ID", ""},
           {"Containers", counts.total},
           {"ContainersRunning", counts.running},
           {"ContainersPaused", counts.paused},
           {"ContainersStopped", counts.stopped},
           {"Images", c.images.list().size()},
           {"Driver", "overlay2"},
           {"DriverStatus", json::array({json::array({"Backing Filesystem", "extfs"}),
                                         json::array({"Supports d_type", "true"})})},
           {"Plugins",
            {{"Volume", {"local"}},
             {"Network", {"bridge", "host", "none"}},
             {"Authorization", nullptr},
             {"Log", {"json-file"}}}},
           {"MemoryLimit", true},
           {"SwapLimit", true},
           {"CpuCfsPeriod", true},
           {"CpuCfsQuota", true},
           {"CPUShares", true},
           {"CPUSet", true},
           {"PidsLimit", true},
           {"OomKillDisable", cgv == "1"},
           {"IPv4Forwarding", true},
           {"Debug", c.info.debug},
           {"NFd", 0},
           {"NGoroutines", 0},
           {"SystemTime", rfc3339Nano(int64_t(ts.tv_sec) * 1000000000 + ts.tv_nsec)},
           {"LoggingDriver", "json-file"},
           {"CgroupDriver", "cgroupfs"},
           {"CgroupVersion", cgv},
           {"NEventsListener", 0},
           {"KernelVersion", kernelVersion()},
           {"OperatingSystem", operatingSystem()},
           {"OSVersion", osVersion()},
           {"OSType", "linux"},
           {"Architecture", "x86_64"},
           {"IndexServerAddress", "https://index.docker.io/v1/"},
           {"RegistryConfig", registryConfig(c.info)},
           {"NCPU", ::sysconf(_SC_NPROCESSORS_ONLN)},
           {"MemTotal", int64_t(si.totalram) * si.mem_unit},
           {"GenericResources", nullptr},
           {"DockerRootDir", c.info.root},
           {"HttpProxy", ""},
           {"HttpsProxy", ""},
           {"NoProxy", ""},
           {"Name", hostName()},
           {"Labels", json::array()},
           {"ExperimentalBuild", false},
           {"ServerVersion", kServerVersion},
           {"Runtimes", {{"runc", {{"path", "berth-monitor"}}}}},
           {"DefaultRuntime", "runc"},
           {"Swarm",
            {{"NodeID", ""},
             {"NodeAddr", ""},
             {"LocalNodeState", "inactive"},
             {"ControlAvailable", false},
             {"Error", ""},
             {"RemoteManagers", nullptr}}},
           {"LiveRestoreEnabled", c.info.liveRestore},
           {"Isolation", ""},
           {"InitBinary", "berth-init"},
           {"ContainerdCommit", {{"ID", ""}}},
           {"RuncCommit", {{"ID", ""}}},
           {"InitCommit", {{"ID", ""}}},
           {"SecurityOptions", sec},
           {"CDISpecDirs", json::array()},
           {"Warnings", json::array()}};
    if (auto n = sys::readFile("/proc/self/status")) {
        auto p = n->find("Threads:");
        if (p != std::string::npos) j["NGoroutines"] = std::atoi(n->c_str() + p + 8);
    }
    return ex.sendJson(200, j);
}

Status diskUsage(Context& c, Exchange& ex) {
    auto types = ex.req().qAll("type");
    auto want = [&](const char* t) {
        return types.empty() || std::find(types.begin(), types.end(), t) != types.end();
    };
    json j = json::object();
    if (want("image")) {
        auto du = TRY(c.images.diskUsage());
        auto inUse = c.engine.imagesInUse();
        auto containers = c.engine.diskUsageContainers();
        json imgs = json::array();
        for (auto& e : du.images) {
            auto s = imageSummaryJson(e.image, ex.req());
            s["SharedSize"] = e.sharedSize;
            int n = 0;
            if (containers)
                for (auto& ct : *containers)
                    if (ct.value("ImageID", "") == e.image.id.str()) n++;
            s["Containers"] = n;
            imgs.push_back(s);
        }
        j["LayersSize"] = du.layersSize;
        j["Images"] = imgs;
    }
    // ENOSYS: an engine without that part yet reports nothing rather than failing df.
    auto part = [](Result<json> r) -> Result<json> {
        if (!r && r.error().code == ENOSYS) return json::array();
        return r;
    };
    if (want("container")) j["Containers"] = TRY(part(c.engine.diskUsageContainers()));
    if (want("volume")) j["Volumes"] = TRY(part(c.engine.diskUsageVolumes()));
    if (want("build-cache")) j["BuildCache"] = json::array();
    return ex.sendJson(200, j);
}

Status auth(Context& c, Exchange& ex) {
    auto body = TRY(ex.bodyJson(false));
    if (!body.is_object()) return invalid("invalid JSON: expected an AuthConfig object");
    std::string server = body.value("serveraddress", "");
    auto st = c.images.login(server, body.value("username", ""), body.value("password", ""));
    if (!st) {
        // A registry refusing the credentials is docker's 401.
        auto& e = st.error();
        if (e.code == EACCES || e.code == EPERM || e.msg.find("401") != std::string::npos ||
            e.msg.find("unauthorized") != std::string::npos)
            return ex.sendError(401, errorMessage(e));
        return std::move(st).error();
    }
    return ex.sendJson(200, json{{"Status", *st}, {"IdentityToken", ""}});
}

Status metrics(Context& c, Exchange& ex) {
    std::string text = c.metrics.text() + c.engine.metricsText();
    return ex.send(200, "text/plain; version=0.0.4; charset=utf-8", std::move(text));
}

}  // namespace

void addSystemRoutes(Router& r) {
    r.add("GET", "/_ping", ping);
    r.add("HEAD", "/_ping", ping);
    r.add("GET", "/version", version);
    r.add("GET", "/info", info);
    r.add("GET", "/system/df", diskUsage);
    r.add("POST", "/auth", auth);
    r.add("GET", "/metrics", metrics);
}

}  // namespace berth::api
