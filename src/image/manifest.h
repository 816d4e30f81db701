// Manifests, indexes and image configs (OCI image spec + Docker schema2), with JSON
// conversion kept in the .cpp so that users of these types need no JSON header.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "common/result.h"
#include "image/digest.h"

namespace berth::image {

struct Platform {
    std::string architecture;  // "amd64"
    std::string os;            // "linux"
    std::string variant;
    std::string osVersion;
};

struct Descriptor {
    std::string mediaType;
    Digest digest;
    int64_t size = 0;
    std::optional<Platform> platform;
    std::map<std::string, std::string> annotations;
    std::vector<std::string> urls;
};

// An image manifest (OCI or Docker schema2).
struct Manifest {
    int schemaVersion = 2;
    std::string mediaType;  // kept as found; set when writing
    Descriptor config;
    std::vector<Descriptor> layers;
    std::map<std::string, std::string> annotations;
};

// An OCI index or Docker manifest list.
struct Index {
    int schemaVersion = 2;
    std::string mediaType;
    std::vector<Descriptor> manifests;
    std::map<std::string, std::string> annotations;
};

struct HealthConfig {
    std::vector<std::string> test;  // ["CMD", ...], ["CMD-SHELL", "..."], ["NONE"]
    int64_t interval = 0, timeout = 0, startPeriod = 0, startInterval = 0;  // nanoseconds
    int retries = 0;
};

// The runtime part of an image config ("config" in OCI, "config"/"container_config" in Docker).
struct ContainerConfig {
    std::string hostname, domainname, user;
    std::map<std::string, std::map<std::string, std::string>> exposedPorts;  // "80/tcp": {}
    std::vector<std::string> env;
    std::optional<std::vector<std::string>> entrypoint;
    std::optional<std::vector<std::string>> cmd;
    std::optional<HealthConfig> healthcheck;
    bool argsEscaped = false;
    std::map<std::string, std::map<std::string, std::string>> volumes;  // "/data": {}
    std::string workingDir;
    std::map<std::string, std::string> labels;
    std::string stopSignal;
    std::vector<std::string> onBuild;
    std::vector<std::string> shell;
};

struct HistoryEntry {
    std::string created;  // RFC 3339
    std::string createdBy;
    std::string author;
    std::string comment;
    bool emptyLayer = false;
};

struct ImageConfig {
    std::string created;  // RFC 3339 with nanoseconds, UTC
    std::string author;
    std::string architecture = "amd64";
    std::string os = "linux";
    std::string variant;
    std::string dockerVersion;
    std::string comment;
    ContainerConfig config;
    std::vector<Digest> diffIds;  // rootfs.diff_ids, type "layers"
    std::vector<HistoryEntry> history;
};

Result<Manifest> parseManifest(std::string_view json);
Result<Index> parseIndex(std::string_view json);
Result<ImageConfig> parseImageConfig(std::string_view json);
// Reads only "mediaType" (or guesses from the shape when absent: manifests/layers).
Result<std::string> sniffMediaType(std::string_view json);

// Canonical JSON (the exact bytes are what the digest covers).
std::string toJson(const Manifest& m);
std::string toJson(const Index& i);
std::string toJson(const ImageConfig& c);
// The ContainerConfig alone, with Docker's capitalised keys (for the Engine API).
std::string containerConfigJson(const ContainerConfig& c);
Result<ContainerConfig> parseContainerConfig(std::string_view json);

// linux/amd64 (or the host's platform) pick from an index; errors list what was offered.
Result<Descriptor> pickPlatform(const Index& idx, std::string_view os = "linux",
                                std::string_view arch = "amd64");

// Time now as RFC 3339 UTC with nanoseconds ("2026-11-25T10:00:00.123456789Z").
std::string nowRfc3339();

}  // namespace berth::image
