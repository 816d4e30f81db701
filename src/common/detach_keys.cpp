#include "common/detach_keys.h"

#include <optional>

namespace berth {

namespace {

// "ctrl-@".."ctrl-_" are 0..31 in ASCII order.
std::optional<char> ctrlKey(std::string_view key) {
    static constexpr std::string_view kAfterAt = "abcdefghijklmnopqrstuvwxyz[\\]^_";
    if (key.size() != 6 || key.substr(0, 5) != "ctrl-") return std::nullopt;
    if (key[5] == '@') return '\0';
    auto i = kAfterAt.find(key[5]);
    if (i == std::string_view::npos) return std::nullopt;
    return static_cast<char>(i + 1);
}

}  // namespace

Result<std::string> parseDetachKeys(std::string_view spec) {
    if (spec.empty()) return std::string("\x10\x11");
    std::string out;
    std::string_view rest = spec;
    for (;;) {
        auto comma = rest.find(',');
        auto key = rest.substr(0, comma);
        if (key.size() == 1) {
            out += key[0];
        } else if (auto c = ctrlKey(key)) {
            out += *c;
        } else if (key == "DEL") {
            out += '\x7f';
        } else {
            return invalid("Invalid detach keys ({}) provided", spec);
        }
        if (comma == std::string_view::npos) return out;
        rest.remove_prefix(comma + 1);
    }
}

bool DetachScanner::feed(std::string_view in, std::string& out) {
    if (keys_.empty()) {
        out.append(in);
        return false;
    }
    for (char ch : in) {
        if (ch == keys_[pos_]) {
            if (++pos_ == keys_.size()) {
                pos_ = 0;
                return true;
            }
            continue;
        }
        // Broken: release held bytes from the front until the rest (with this byte) starts
        // the sequence again, so ctrl-p ctrl-p ctrl-q still detaches.
        std::string cand(keys_, 0, pos_);
        cand += ch;
        size_t skip = 0;
        while (skip < cand.size() && std::string_view(keys_).substr(0, cand.size() - skip) !=
                                         std::string_view(cand).substr(skip))
            skip++;
        out.append(cand, 0, skip);
        pos_ = cand.size() - skip;
    }
    return false;
}

}  // namespace berth
