// OCI runtime-spec config.json as plain structs (runtime-spec 1.0.0 .. 1.3.0).
//
// Parsing and validation live in spec_parse.cpp; nothing here depends on a JSON library, so
// this header is cheap to include. Optional fields use std::optional; absent lists are empty.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "common/result.h"

namespace berth::spec {

struct Root {
    std::string path;  // as written in config.json (relative to the bundle or absolute)
    bool readonly = false;
};

struct IdMapping {
    uint32_t containerID = 0, hostID = 0, size = 0;
};

struct Mount {
    std::string destination;
    std::string source;
    std::string type;
    std::vector<std::string> options;
    std::vector<IdMapping> uidMappings, gidMappings;  // idmapped mounts
};

struct User {
    uint32_t uid = 0, gid = 0;
    std::optional<uint32_t> umask;
    std::vector<uint32_t> additionalGids;
    std::string username;  // windows only; ignored
};

struct Rlimit {
    std::string type;  // "RLIMIT_NOFILE"
    uint64_t soft = 0, hard = 0;
};

struct Capabilities {
    std::vector<std::string> bounding, effective, inheritable, permitted, ambient;
};

struct ConsoleSize {
    uint32_t height = 0, width = 0;
};

struct IoPriority {
    std::string ioClass;  // IOPRIO_CLASS_RT|BE|IDLE
    int priority = 0;
};

struct Scheduler {
    std::string policy;
    int nice = 0, priority = 0;
    std::vector<std::string> flags;
    uint64_t runtime = 0, deadline = 0, period = 0;
};

struct Process {
    bool terminal = false;
    std::optional<ConsoleSize> consoleSize;
    std::string cwd = "/";
    std::vector<std::string> env;
    std::vector<std::string> args;
    std::string commandLine;  // windows only
    User user;
    std::optional<Capabilities> capabilities;
    std::vector<Rlimit> rlimits;
    bool noNewPrivileges = false;
    std::string apparmorProfile;
    std::optional<int> oomScoreAdj;
    std::string selinuxLabel;
    std::optional<IoPriority> ioPriority;
    std::optional<Scheduler> scheduler;
    std::string execCPUAffinityInitial, execCPUAffinityFinal;  // cpu lists, e.g. "0-3,7"
};

struct Hook {
    std::string path;
    std::vector<std::string> args;
    std::vector<std::string> env;
    std::optional<int> timeout;  // seconds, > 0
};

struct Hooks {
    std::vector<Hook> prestart, createRuntime, createContainer, startContainer, poststart,
        poststop;
};

struct Namespace {
    std::string type;  // pid network mount ipc uts user cgroup time
    std::string path;  // empty: create a new one
};

struct Device {
    std::string type;  // c b u p
    std::string path;
    int64_t major = 0, minor = 0;
    std::optional<uint32_t> fileMode;
    std::optional<uint32_t> uid, gid;
};

// --- resources (cgroups) ---
struct DeviceRule {
    bool allow = false;
    std::string type;  // a c b, empty = all
    std::optional<int64_t> major, minor;
    std::string access;  // rwm subset, empty = rwm
};

struct MemoryResources {
    std::optional<int64_t> limit, reservation, swap, kernel, kernelTCP;
    std::optional<uint64_t> swappiness;
    std::optional<bool> disableOOMKiller, useHierarchy, checkBeforeUpdate;
};

struct CpuResources {
    std::optional<uint64_t> shares;
    std::optional<int64_t> quota, burst;
    std::optional<uint64_t> period;
    std::optional<int64_t> realtimeRuntime;
    std::optional<uint64_t> realtimePeriod;
    std::string cpus, mems;
    std::optional<int64_t> idle;
};

struct PidsResources {
    std::optional<int64_t> limit;
};

struct BlockIoDevice {
    int64_t major = 0, minor = 0;
    std::optional<uint16_t> weight, leafWeight;
    uint64_t rate = 0;  // throttle entries only
};

struct BlockIoResources {
    std::optional<uint16_t> weight, leafWeight;
    std::vector<BlockIoDevice> weightDevice, throttleReadBpsDevice, throttleWriteBpsDevice,
        throttleReadIOPSDevice, throttleWriteIOPSDevice;
};

struct HugepageLimit {
    std::string pageSize;  // "2MB", "1GB"
    uint64_t limit = 0;
};

struct NetworkResources {
    std::optional<uint32_t> classID;
    struct Prio {
        std::string name;
        uint32_t priority = 0;
    };
    std::vector<Prio> priorities;
};

struct RdmaLimit {
    std::optional<uint32_t> hcaHandles, hcaObjects;
};

struct Resources {
    std::vector<DeviceRule> devices;
    std::optional<MemoryResources> memory;
    std::optional<CpuResources> cpu;
    std::optional<PidsResources> pids;
    std::optional<BlockIoResources> blockIO;
    std::vector<HugepageLimit> hugepageLimits;
    std::optional<NetworkResources> network;
    std::map<std::string, RdmaLimit> rdma;
    std::map<std::string, std::string> unified;
};

// --- seccomp ---
struct SeccompArg {
    uint32_t index = 0;
    uint64_t value = 0, valueTwo = 0;
    std::string op;  // SCMP_CMP_EQ ...
};

struct SeccompSyscall {
    std::vector<std::string> names;
    std::string action;  // SCMP_ACT_*
    std::optional<uint32_t> errnoRet;
    std::vector<SeccompArg> args;
};

struct Seccomp {
    std::string defaultAction;
    std::optional<uint32_t> defaultErrnoRet;
    std::vector<std::string> architectures;
    std::vector<std::string> flags;
    std::string listenerPath;
    std::string listenerMetadata;
    std::vector<SeccompSyscall> syscalls;
};

struct Personality {
    std::string domain;  // LINUX | LINUX32
    std::vector<std::string> flags;
};

struct IntelRdt {
    std::string closID, l3CacheSchema, memBwSchema;
};

struct Linux {
    std::vector<Namespace> namespaces;
    std::vector<IdMapping> uidMappings, gidMappings;
    std::map<std::string, int64_t> timeOffsetsSecs;  // "monotonic"/"boottime" -> secs
    std::map<std::string, uint32_t> timeOffsetsNanosecs;
    std::vector<Device> devices;
    std::string cgroupsPath;
    std::optional<Resources> resources;
    std::string rootfsPropagation;  // shared slave private unbindable rshared ...
    std::optional<Seccomp> seccomp;
    std::map<std::string, std::string> sysctl;
    std::vector<std::string> maskedPaths, readonlyPaths;
    std::string mountLabel;
    std::optional<Personality> personality;
    std::optional<IntelRdt> intelRdt;
};

struct Spec {
    std::string ociVersion;
    std::optional<Root> root;
    std::vector<Mount> mounts;
    std::optional<Process> process;
    std::string hostname, domainname;
    std::optional<Hooks> hooks;
    std::map<std::string, std::string> annotations;
    std::optional<Linux> linux;

    // Helpers.
    bool hasNamespace(const std::string& type) const;
    const Namespace* findNamespace(const std::string& type) const;
};

// Parses and validates config.json text. Errors name the field: "linux.namespaces[2].type:
// unknown namespace type \"foo\"", "process.rlimits[0].hard: expected unsigned integer, got
// string".
Result<Spec> parseSpec(std::string_view json);
// Reads <bundle>/config.json and parses it.
Result<Spec> loadSpec(const std::string& bundleDir);
// Parses a standalone process.json (exec --process).
Result<Process> parseProcess(std::string_view json);
// Parses a standalone resources JSON (update --resources).
Result<Resources> parseResources(std::string_view json);
// The default spec `berth-runtime spec` writes (runc-like); rootless adds a user namespace.
std::string defaultSpecJson(bool rootless);

}  // namespace berth::spec
