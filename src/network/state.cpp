#include "network/state.h"

#include <dirent.h>
#include <fcntl.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include "common/sys.h"
#include "network/sandbox_files.h"

namespace berth::net {

// Field names as in the Docker API where one exists; defaults keep old records readable when
// fields are added.
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(IpamConfig, subnet, ipRange, gateway)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(NetworkInfo, id, name, driver, created, bridge,
                                                scope, ipam, internal, enableIPv6, attachable,
                                                options, labels)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(EndpointInfo, networkId, networkName, endpointId,
                                                containerName, ipv4, prefixLen, gateway, ipv6,
                                                ipv6Gateway, ipv6PrefixLen, mac, ifname, ipamIpv4,
                                                ipamIpv6, aliases, dnsNames)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(PortBinding, proto, containerPort, hostIp,
                                                hostPort, hostPortEnd)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(EndpointSpec, network, aliases, ipv4, ipv6, mac)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(SandboxSpec, containerId, containerName,
                                                hostname, domainname, mode, endpoints, ports,
                                                extraHosts, dns, dnsSearch, dnsOptions)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(EndpointRecord, info, hostIf)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(SandboxRecord, spec, kind, sharedWith, netnsPath,
                                                endpoints, ports, hostsPath, resolvConfPath,
                                                hostnamePath)

namespace {

template <typename T>
Result<T> decode(std::string_view text, const char* what) {
    try {
        return nlohmann::json::parse(text).get<T>();
    } catch (const nlohmann::json::exception& e) {
        return invalid("decode {} record: {}", what, e.what());
    }
}

std::vector<std::string> listDir(const std::string& dir) {
    std::vector<std::string> out;
    DIR* d = ::opendir(dir.c_str());
    if (!d) return out;
    while (auto* e = ::readdir(d)) {
        std::string n = e->d_name;
        if (n != "." && n != "..") out.push_back(n);
    }
    ::closedir(d);
    return out;
}

// The directory entry of a renamed file is only durable once the directory is synced.
void syncDir(const std::string& dir) {
    int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd >= 0) {
        ::fsync(fd);
        ::close(fd);
    }
}

}  // namespace

std::string encodeNetwork(const NetworkRecord& r) {
    nlohmann::json j = r.info;
    j.erase("containers");
    return j.dump(2);
}

Result<NetworkRecord> decodeNetwork(std::string_view text) {
    NetworkRecord r;
    r.info = TRY(decode<NetworkInfo>(text, "network"));
    if (!validId(r.info.id) || r.info.name.empty()) return invalid("network record without id");
    return r;
}

std::string encodeSandbox(const SandboxRecord& r) { return nlohmann::json(r).dump(2); }

Result<SandboxRecord> decodeSandbox(std::string_view text) {
    auto r = TRY(decode<SandboxRecord>(text, "sandbox"));
    if (!validId(r.spec.containerId)) return invalid("sandbox record without container id");
    return r;
}

bool validId(std::string_view id) {
    if (id.empty() || id.size() > 128) return false;
    for (size_t i = 0; i < id.size(); i++) {
        char c = id[i];
        bool alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
        if (!alnum && (i == 0 || (c != '_' && c != '.' && c != '-'))) return false;
    }
    return true;
}

Status StateStore::init() {
    for (const char* sub : {"networks", "sandboxes"})
        TRY_CTX(sys::mkdirAll(dir_ + "/" + sub, 0700), "create state directory {}", dir_);
    return {};
}

std::string StateStore::sandboxDir(const std::string& containerId) const {
    return dir_ + "/sandboxes/" + containerId;
}

Status StateStore::saveNetwork(const NetworkRecord& r) {
    TRY_CTX(sys::writeFileAtomic(dir_ + "/networks/" + r.info.id + ".json", encodeNetwork(r), 0600),
            "save network {}", r.info.name);
    syncDir(dir_ + "/networks");
    return {};
}

Status StateStore::removeNetwork(const std::string& id) {
    std::string p = dir_ + "/networks/" + id + ".json";
    if (::unlink(p.c_str()) < 0 && errno != ENOENT) return errnoError("remove {}", p);
    syncDir(dir_ + "/networks");
    return {};
}

std::vector<NetworkRecord> StateStore::loadNetworks(std::vector<std::string>& bad) const {
    std::vector<NetworkRecord> out;
    std::string dir = dir_ + "/networks/";
    for (const auto& n : listDir(dir)) {
        if (n.size() < 6 || n.substr(n.size() - 5) != ".json") continue;
        auto text = sys::readFile(dir + n);
        if (!text) {
            bad.push_back(text.error().str());
            continue;
        }
        auto r = decodeNetwork(*text);
        if (!r) {
            bad.push_back(dir + n + ": " + r.error().str());
            continue;
        }
        out.push_back(std::move(*r));
    }
    return out;
}

Status StateStore::saveSandbox(const SandboxRecord& r) {
    std::string d = sandboxDir(r.spec.containerId);
    TRY_CTX(sys::mkdirAll(d, 0700), "create {}", d);
    TRY_CTX(writeFileRenamed(d + "/sandbox.json", encodeSandbox(r)), "save sandbox {}",
            r.spec.containerId);
    return {};
}

Status StateStore::removeSandbox(const std::string& containerId) {
    std::string d = sandboxDir(containerId);
    std::string rec = d + "/sandbox.json";
    if (::unlink(rec.c_str()) < 0 && errno != ENOENT) return errnoError("remove {}", rec);
    TRY_CTX(sys::removeAll(d), "remove {}", d);
    return {};
}

std::vector<SandboxRecord> StateStore::loadSandboxes(std::vector<std::string>& bad) const {
    std::vector<SandboxRecord> out;
    for (const auto& id : sandboxDirs()) {
        std::string p = sandboxDir(id) + "/sandbox.json";
        if (!sys::exists(p)) continue;
        auto text = sys::readFile(p);
        if (!text) {
            bad.push_back(text.error().str());
            continue;
        }
        auto r = decodeSandbox(*text);
        if (!r || r->spec.containerId != id) {
            bad.push_back(p + ": " + (r ? "container id does not match" : r.error().str()));
            continue;
        }
        out.push_back(std::move(*r));
    }
    return out;
}

std::vector<std::string> StateStore::sandboxDirs() const { return listDir(dir_ + "/sandboxes"); }

Result<std::string> StateStore::readUla() const {
    auto s = TRY(sys::readFile(dir_ + "/ula"));
    while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
    return s;
}

Status StateStore::writeUla(const std::string& prefix) {
    TRY_CTX(sys::writeFileAtomic(dir_ + "/ula", prefix + "\n", 0600), "save ULA prefix");
    syncDir(dir_);
    return {};
}

}  // namespace berth::net
