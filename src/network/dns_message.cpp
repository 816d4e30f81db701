#include "network/dns_message.h"

#include <arpa/inet.h>

#include <cctype>
#include <cstring>

namespace berth::net::dns {
namespace {

uint16_t get16(const uint8_t* p) {
    return static_cast<uint16_t>(p[0] << 8 | p[1]);
}

void put16(Bytes& b, uint16_t v) {
    b.push_back(static_cast<uint8_t>(v >> 8));
    b.push_back(static_cast<uint8_t>(v));
}
void put32(Bytes& b, uint32_t v) {
    put16(b, static_cast<uint16_t>(v >> 16));
    put16(b, static_cast<uint16_t>(v));
}
void set16(Bytes& b, size_t off, uint16_t v) {
    b[off] = static_cast<uint8_t>(v >> 8);
    b[off + 1] = static_cast<uint8_t>(v);
}

// Skips a (possibly compressed) name in a resource record; false when it runs off the end.
bool skipName(const uint8_t* p, size_t n, size_t& pos) {
    while (pos < n) {
        uint8_t len = p[pos];
        if (len == 0) {
            pos++;
            return true;
        }
        if ((len & 0xC0) == 0xC0) {  // a pointer ends the name
            pos += 2;
            return pos <= n;
        }
        if (len & 0xC0) return false;
        pos += 1 + len;
    }
    return false;
}

// Reads the EDNS OPT record, if any, from the sections after the question.
void readEdns(const uint8_t* p, size_t n, size_t pos, unsigned records, Query& q) {
    for (unsigned i = 0; i < records; i++) {
        if (!skipName(p, n, pos) || pos + 10 > n) return;
        uint16_t type = get16(p + pos), cls = get16(p + pos + 2), rdlen = get16(p + pos + 8);
        pos += 10 + rdlen;
        if (pos > n) return;
        if (type == OPT) {
            q.edns = true;
            q.udpSize = std::max<uint16_t>(512, cls);
        }
    }
}

}  // namespace

std::optional<Query> parseQuery(const uint8_t* p, size_t n) {
    if (n < kHeader) return std::nullopt;
    Query q;
    q.id = get16(p);
    q.flags = get16(p + 2);
    if (q.flags & kFlagQr) return std::nullopt;
    unsigned qd = get16(p + 4), an = get16(p + 6), ns = get16(p + 8), ar = get16(p + 10);
    if (((q.flags >> 11) & 0xF) != 0) {
        q.badRcode = NotImp;
        return q;
    }
    if (qd != 1) {
        q.badRcode = FormErr;
        return q;
    }
    size_t pos = kHeader;
    while (true) {
        if (pos >= n || (p[pos] & 0xC0) || q.name.size() > 253) {
            q.badRcode = FormErr;
            return q;
        }
        uint8_t len = p[pos++];
        if (len == 0) break;
        if (pos + len > n) {
            q.badRcode = FormErr;
            return q;
        }
        if (!q.name.empty()) q.name += '.';
        for (size_t i = 0; i < len; i++) {
            char c = static_cast<char>(p[pos + i]);
            if (c == '.' || c == '\0') {  // would alias another name once joined with dots
                q.badRcode = FormErr;
                q.name.clear();
                return q;
            }
            q.name += static_cast<char>(tolower(static_cast<unsigned char>(c)));
        }
        pos += len;
    }
    if (pos + 4 > n) {
        q.badRcode = FormErr;
        q.name.clear();
        return q;
    }
    q.type = get16(p + pos);
    q.cls = get16(p + pos + 2);
    pos += 4;
    q.question.assign(p + kHeader, p + pos);
    readEdns(p, n, pos, an + ns + ar, q);
    return q;
}

Bytes buildResponse(const Query& q, uint8_t rcode, const std::vector<Record>& answers, uint32_t ttl,
                    size_t maxSize, bool authoritative) {
    Bytes b;
    b.reserve(512);
    put16(b, q.id);
    uint16_t flags = kFlagQr | (q.flags & (0x7800 | kFlagRd)) | kFlagRa | (rcode & 0xF);
    if (authoritative) flags |= kFlagAa;
    put16(b, flags);
    put16(b, q.question.empty() ? 0 : 1);
    put16(b, 0);  // answers, set below
    put16(b, 0);
    put16(b, 0);  // additional: the OPT record, set below
    b.insert(b.end(), q.question.begin(), q.question.end());
    const size_t optSize = q.edns ? 11 : 0;
    uint16_t count = 0;
    bool truncated = false;
    for (auto& r : answers) {
        if (q.question.empty() || r.rdata.empty()) continue;
        if (b.size() + 12 + r.rdata.size() + optSize > maxSize) {
            truncated = true;
            break;
        }
        put16(b, 0xC000 | kHeader);  // the name: a pointer to the question's
        put16(b, r.type);
        put16(b, kClassIn);
        put32(b, ttl);
        put16(b, static_cast<uint16_t>(r.rdata.size()));
        b.insert(b.end(), r.rdata.begin(), r.rdata.end());
        count++;
    }
    set16(b, 6, count);
    if (truncated) set16(b, 2, flags | kFlagTc);
    if (q.edns) {
        b.push_back(0);  // root name
        put16(b, OPT);
        put16(b, kOurUdpSize);
        put32(b, 0);  // extended rcode, version 0, no flags
        put16(b, 0);
        set16(b, 10, 1);
    }
    return b;
}

Record aRecord(const std::string& ipv4) {
    Record r{A, {}};
    in_addr a;
    if (inet_pton(AF_INET, ipv4.c_str(), &a) == 1) {
        r.rdata.resize(4);
        memcpy(r.rdata.data(), &a, 4);
    }
    return r;
}

Record aaaaRecord(const std::string& ipv6) {
    Record r{AAAA, {}};
    in6_addr a;
    if (inet_pton(AF_INET6, ipv6.c_str(), &a) == 1) {
        r.rdata.resize(16);
        memcpy(r.rdata.data(), &a, 16);
    }
    return r;
}

std::optional<Record> ptrRecord(const std::string& name) {
    auto wire = encodeName(name);
    if (!wire) return std::nullopt;
    return Record{PTR, std::move(*wire)};
}

std::optional<Bytes> encodeName(std::string_view name) {
    while (!name.empty() && name.back() == '.') name.remove_suffix(1);
    Bytes b;
    while (!name.empty()) {
        size_t dot = name.find('.');
        std::string_view label = name.substr(0, dot);
        if (label.empty() || label.size() > 63) return std::nullopt;
        b.push_back(static_cast<uint8_t>(label.size()));
        b.insert(b.end(), label.begin(), label.end());
        name = dot == std::string_view::npos ? std::string_view() : name.substr(dot + 1);
    }
    b.push_back(0);
    if (b.size() > 255) return std::nullopt;
    return b;
}

std::optional<std::string> reverseName(const std::string& name) {
    auto split = [](std::string_view s) {
        std::vector<std::string> parts;
        size_t start = 0;
        for (size_t i = 0; i <= s.size(); i++)
            if (i == s.size() || s[i] == '.') {
                parts.emplace_back(s.substr(start, i - start));
                start = i + 1;
            }
        return parts;
    };
    constexpr std::string_view v4 = ".in-addr.arpa", v6 = ".ip6.arpa";
    if (name.ends_with(v4)) {
        auto parts = split(std::string_view(name).substr(0, name.size() - v4.size()));
        if (parts.size() != 4) return std::nullopt;
        std::string ip = parts[3] + "." + parts[2] + "." + parts[1] + "." + parts[0];
        in_addr a;
        if (inet_pton(AF_INET, ip.c_str(), &a) != 1) return std::nullopt;
        return ip;
    }
    if (name.ends_with(v6)) {
        auto parts = split(std::string_view(name).substr(0, name.size() - v6.size()));
        if (parts.size() != 32) return std::nullopt;
        std::string hex;
        for (size_t i = 0; i < 32; i++) {
            const std::string& nib = parts[31 - i];
            if (nib.size() != 1 || !isxdigit(static_cast<unsigned char>(nib[0])))
                return std::nullopt;
            hex += nib;
            if (i % 4 == 3 && i != 31) hex += ':';
        }
        in6_addr a;
        char out[INET6_ADDRSTRLEN];
        if (inet_pton(AF_INET6, hex.c_str(), &a) != 1) return std::nullopt;
        return std::string(inet_ntop(AF_INET6, &a, out, sizeof out));
    }
    return std::nullopt;
}

bool isAnswerTo(const uint8_t* resp, size_t n, uint16_t id, const Bytes& question) {
    if (n < kHeader + question.size() || get16(resp) != id) return false;
    if (!(get16(resp + 2) & kFlagQr) || get16(resp + 4) != 1) return false;
    const uint8_t* rq = resp + kHeader;
    size_t nameLen = question.size() - 4;
    for (size_t i = 0; i < nameLen; i++)  // servers may change the case of names (0x20 bits)
        if (tolower(rq[i]) != tolower(question[i])) return false;
    return memcmp(rq + nameLen, question.data() + nameLen, 4) == 0;
}

}  // namespace berth::net::dns
