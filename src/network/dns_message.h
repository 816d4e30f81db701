// DNS wire format, as much as the embedded server needs (RFC 1035, EDNS0 of RFC 6891): parse a
// query's header and question, build answers, check a forwarded reply. Internal to src/network.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace berth::net::dns {

using Bytes = std::vector<uint8_t>;

enum Type : uint16_t { A = 1, CNAME = 5, PTR = 12, AAAA = 28, OPT = 41, ANY = 255 };
enum Rcode : uint8_t { NoError = 0, FormErr = 1, ServFail = 2, NXDomain = 3, NotImp = 4 };
constexpr uint16_t kClassIn = 1, kClassAny = 255;
constexpr uint16_t kFlagQr = 0x8000, kFlagAa = 0x0400, kFlagTc = 0x0200, kFlagRd = 0x0100,
                   kFlagRa = 0x0080;
constexpr size_t kHeader = 12;
constexpr uint16_t kOurUdpSize = 1232;  // the EDNS size we advertise (no fragmentation)

struct Query {
    uint16_t id = 0, flags = 0;
    std::string name;  // lowercase, no trailing dot; "" = the root
    uint16_t type = 0, cls = 0;
    Bytes question;  // the question section as received (echoed in answers)
    bool edns = false;
    uint16_t udpSize = 512;  // what the client takes over UDP
    // Non-zero: the query is malformed or unsupported but has a header; answer with this rcode.
    uint8_t badRcode = 0;
};

// nullopt for datagrams to drop silently: shorter than a header, or a response (QR set).
std::optional<Query> parseQuery(const uint8_t* p, size_t n);

struct Record {
    uint16_t type = 0;
    Bytes rdata;
};

// An answer to q. Answers are added while they fit in maxSize; the rest are left out and TC is
// set. authoritative: local answers (AA) versus errors of our own.
Bytes buildResponse(const Query& q, uint8_t rcode, const std::vector<Record>& answers, uint32_t ttl,
                    size_t maxSize, bool authoritative);

Record aRecord(const std::string& ipv4);     // empty rdata when not an IPv4 address
Record aaaaRecord(const std::string& ipv6);  // empty rdata when not an IPv6 address
// A PTR record; nullopt for a name that is not a valid DNS name.
std::optional<Record> ptrRecord(const std::string& name);

// "web.mynet" -> wire labels; nullopt when a label is empty or longer than 63, or the name longer
// than 255.
std::optional<Bytes> encodeName(std::string_view name);

// "4.3.2.1.in-addr.arpa" -> "1.2.3.4"; the ip6.arpa nibble form -> the IPv6 address text.
std::optional<std::string> reverseName(const std::string& name);

// Whether `resp` is an answer to `q` (same id, QR set, same question). Forwarded replies are
// checked so a stray or spoofed datagram is not relayed.
bool isAnswerTo(const uint8_t* resp, size_t n, uint16_t id, const Bytes& question);

}  // namespace berth::net::dns
