#include "image/registry/base64.h"

#include <array>

namespace berth::image::registry {

namespace {

constexpr std::string_view kStd =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
constexpr std::string_view kUrl =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

// Decoding table for both alphabets: -1 invalid.
constexpr std::array<int8_t, 256> decodeTable() {
    std::array<int8_t, 256> t{};
    for (auto& v : t) v = -1;
    for (size_t i = 0; i < 64; i++) {
        t[static_cast<unsigned char>(kStd[i])] = static_cast<int8_t>(i);
        t[static_cast<unsigned char>(kUrl[i])] = static_cast<int8_t>(i);
    }
    return t;
}
constexpr auto kDecode = decodeTable();

}  // namespace

std::string base64Encode(std::string_view data, bool urlSafe) {
    auto alpha = urlSafe ? kUrl : kStd;
    std::string out;
    out.reserve((data.size() + 2) / 3 * 4);
    size_t i = 0;
    auto byte = [&](size_t k) {
        return static_cast<uint32_t>(static_cast<unsigned char>(data[k]));
    };
    for (; i + 3 <= data.size(); i += 3) {
        uint32_t v = byte(i) << 16 | byte(i + 1) << 8 | byte(i + 2);
        for (int s = 18; s >= 0; s -= 6) out += alpha[(v >> s) & 63];
    }
    size_t rest = data.size() - i;
    if (rest) {
        uint32_t v = byte(i) << 16 | (rest == 2 ? byte(i + 1) << 8 : 0);
        out += alpha[(v >> 18) & 63];
        out += alpha[(v >> 12) & 63];
        out += rest == 2 ? alpha[(v >> 6) & 63] : '=';
        out += '=';
    }
    return out;
}

Result<std::string> base64Decode(std::string_view text) {
    std::string out;
    out.reserve(text.size() / 4 * 3 + 3);
    uint32_t acc = 0;
    int bits = 0;
    bool padding = false;
    for (char c : text) {
        if (c == '\n' || c == '\r' || c == ' ' || c == '\t') continue;
        if (c == '=') {
            padding = true;
            continue;
        }
        int8_t v = kDecode[static_cast<unsigned char>(c)];
        if (v < 0 || padding) return invalid("invalid base64 data");
        acc = acc << 6 | static_cast<uint32_t>(v);
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out += static_cast<char>((acc >> bits) & 0xff);
        }
    }
    // 6 leftover bits cannot encode a byte: a truncated input.
    if (bits >= 6) return invalid("invalid base64 data (truncated)");
    return out;
}

}  // namespace berth::image::registry
