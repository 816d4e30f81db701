#include "network/sandbox_files.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <sstream>

#include "common/sys.h"
#include "network/addr.h"

namespace berth::net {

Result<std::vector<HostsEntry>> parseExtraHosts(const std::vector<std::string>& specs,
                                                const std::string& hostGateway) {
    std::vector<HostsEntry> out;
    for (const auto& s : specs) {
        // "name=ip" is docker's newer spelling; with "name:ip" the first ':' separates, so an
        // IPv6 address after it keeps its colons.
        auto sep = s.find('=');
        if (sep == std::string::npos) sep = s.find(':');
        if (sep == std::string::npos || sep == 0 || sep + 1 == s.size())
            return invalid("invalid extra host {:?}: want name:ip", s);
        std::string name = s.substr(0, sep), ip = s.substr(sep + 1);
        if (ip.size() > 2 && ip.front() == '[' && ip.back() == ']')
            ip = ip.substr(1, ip.size() - 2);
        if (ip == "host-gateway") {
            if (hostGateway.empty())
                return invalid("extra host {:?}: no host gateway address is known", s);
            ip = hostGateway;
        }
        TRY_CTX(IpAddr::parse(ip), "invalid extra host {:?}", s);
        if (name.find_first_of(" \t\n#") != std::string::npos)
            return invalid("invalid extra host {:?}: bad host name", s);
        out.push_back({ip, {name}});
    }
    return out;
}

std::string renderHosts(const std::vector<HostsEntry>& extra, const std::vector<HostsEntry>& own) {
    std::string s =
        "127.0.0.1\tlocalhost\n"
        "::1\tlocalhost ip6-localhost ip6-loopback\n"
        "fe00::\tip6-localnet\n"
        "ff00::\tip6-mcastprefix\n"
        "ff02::1\tip6-allnodes\n"
        "ff02::2\tip6-allrouters\n";
    for (const auto* list : {&extra, &own})
        for (const auto& e : *list) {
            s += e.ip;
            s += '\t';
            for (size_t i = 0; i < e.names.size(); i++) {
                if (i) s += ' ';
                s += e.names[i];
            }
            s += '\n';
        }
    return s;
}

ResolvConf parseResolvConf(std::string_view text) {
    ResolvConf rc;
    std::istringstream in{std::string(text)};
    std::string line;
    while (std::getline(in, line)) {
        std::istringstream ls(line);
        std::string key, v;
        if (!(ls >> key) || key[0] == '#' || key[0] == ';') continue;
        std::vector<std::string> vals;
        while (ls >> v) vals.push_back(v);
        if (key == "nameserver" && !vals.empty()) {
            rc.nameservers.push_back(vals[0]);
        } else if (key == "search" || key == "domain") {
            rc.search = vals;  // the last one wins, as in the resolver
        } else if (key == "options") {
            rc.options.insert(rc.options.end(), vals.begin(), vals.end());
        }
    }
    return rc;
}

std::string renderResolvConf(const ResolvConf& rc, std::string_view comment) {
    std::string s;
    if (!comment.empty()) s += fmt::format("# {}\n", comment);
    for (const auto& n : rc.nameservers) s += "nameserver " + n + "\n";
    auto joined = [](const std::vector<std::string>& v) {
        std::string j;
        for (const auto& x : v) j += (j.empty() ? "" : " ") + x;
        return j;
    };
    if (!rc.search.empty()) s += "search " + joined(rc.search) + "\n";
    if (!rc.options.empty()) s += "options " + joined(rc.options) + "\n";
    return s;
}

bool isLoopbackAddress(std::string_view ip) {
    auto a = IpAddr::parse(ip);
    if (!a) return false;
    if (a->isV4()) return a->bytes[0] == 127;
    IpAddr lo;
    lo.family = AF_INET6;
    lo.bytes[15] = 1;
    return *a == lo;
}

ResolvConf containerResolvConf(const ResolvConf& host, const std::vector<std::string>& dns,
                               const std::vector<std::string>& dnsSearch,
                               const std::vector<std::string>& dnsOptions, bool embedded) {
    ResolvConf rc;
    rc.search = dnsSearch.empty() ? host.search : dnsSearch;
    if (embedded) {
        rc.nameservers = {"127.0.0.11"};
        rc.options = {"ndots:0"};
        for (const auto& o : dnsOptions.empty() ? host.options : dnsOptions)
            if (o.rfind("ndots:", 0) != 0) rc.options.push_back(o);
        return rc;
    }
    rc.options = dnsOptions.empty() ? host.options : dnsOptions;
    if (!dns.empty()) {
        rc.nameservers = dns;
        return rc;
    }
    for (const auto& n : host.nameservers)
        if (!isLoopbackAddress(n)) rc.nameservers.push_back(n);
    if (rc.nameservers.empty()) rc.nameservers = {"8.8.8.8", "8.8.4.4"};
    return rc;
}

Status writeFileRenamed(const std::string& path, std::string_view data) {
    std::string tmp = path + ".tmp";
    TRY(sys::writeFile(tmp, data, O_WRONLY | O_CREAT | O_TRUNC, 0644));
    if (::rename(tmp.c_str(), path.c_str()) < 0) {
        int e = errno;
        ::unlink(tmp.c_str());
        return makeError(e, "rename {} to {}", tmp, path);
    }
    return {};
}

Status writeSandboxFile(const std::string& path, std::string_view data) {
    if (sys::exists(path)) return sys::writeFile(path, data, O_WRONLY | O_TRUNC);
    return writeFileRenamed(path, data);
}

}  // namespace berth::net
