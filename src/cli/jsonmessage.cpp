// docker's jsonmessage rendering: the object splitter over a chunked body, the per-id line
// bookkeeping with ANSI cursor moves, and JSONProgress's text.
#include "cli/jsonmessage.h"

#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>

#include <nlohmann/json.hpp>

#include "cli/tty.h"
#include "cli/units.h"

namespace berth::cli {

using nlohmann::json;

namespace {

Status writeOut(int fd, std::string_view d) {
    while (!d.empty()) {
        ssize_t n = ::write(fd, d.data(), d.size());
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return errnoError("write the progress output");
        d.remove_prefix(static_cast<size_t>(n));
    }
    return {};
}

std::string str(const json& m, const char* key) {
    auto it = m.find(key);
    return it != m.end() && it->is_string() ? it->get<std::string>() : std::string();
}

int64_t num(const json& m, const char* key) {
    auto it = m.find(key);
    return it != m.end() && it->is_number() ? it->get<int64_t>() : 0;
}

// Go's Duration.String() for whole seconds: "0s", "45s", "2m5s", "1h0m3s".
std::string goDuration(int64_t secs) {
    std::string sign = secs < 0 ? "-" : "";
    uint64_t s = secs < 0 ? static_cast<uint64_t>(-secs) : static_cast<uint64_t>(secs);
    if (s >= 3600) return fmt::format("{}{}h{}m{}s", sign, s / 3600, s / 60 % 60, s % 60);
    if (s >= 60) return fmt::format("{}{}m{}s", sign, s / 60, s % 60);
    return fmt::format("{}{}s", sign, s);
}

std::string pad8(const std::string& s) {
    return fmt::format("{:>8}", s);
}

}  // namespace

std::string formatProgress(const Progress& p, int width, int64_t nowSec) {
    if (p.current <= 0 && p.total <= 0) return "";
    if (p.total <= 0) {
        if (p.units.empty()) return pad8(humanSize(static_cast<double>(p.current)));
        return fmt::format("{} {}", p.current, p.units);
    }
    int pct =
        static_cast<int>(static_cast<double>(p.current) / static_cast<double>(p.total) * 100) / 2;
    pct = std::min(pct, 50);
    std::string bar, numbers, left;
    if (width > 110) {
        bar = "[" + std::string(static_cast<size_t>(std::max(pct, 0)), '=') + ">" +
              std::string(static_cast<size_t>(std::max(50 - pct, 0)), ' ') + "] ";
    }
    if (p.hideCounts) {
    } else if (p.units.empty()) {
        auto cur = humanSize(static_cast<double>(p.current));
        numbers = p.current > p.total ? pad8(cur)
                                      : pad8(cur) + "/" + humanSize(static_cast<double>(p.total));
    } else {
        numbers = p.current > p.total ? fmt::format("{} {}", p.current, p.units)
                                      : fmt::format("{}/{} {}", p.current, p.total, p.units);
    }
    if (p.current > 0 && p.start > 0 && pct < 50) {
        // As Go: nanosecond durations, the time per unit truncated, then whole seconds.
        __int128 fromStart = static_cast<__int128>(nowSec - p.start) * 1000000000;
        __int128 perEntry = fromStart / p.current;
        __int128 ns = static_cast<__int128>(p.total - p.current) * perEntry;
        if (width > 50) left = " " + goDuration(static_cast<int64_t>(ns / 1000000000));
    }
    return bar + numbers + left;
}

JsonMessageStream::JsonMessageStream(JsonMessageOptions o) : o_(std::move(o)) {}

int JsonMessageStream::width() const {
    if (o_.width > 0) return o_.width;
    if (auto ws = windowSize(o_.outFd)) return ws->second;
    return 200;
}

Status JsonMessageStream::out(std::string_view s) {
    if (o_.quiet) return {};
    return writeOut(o_.outFd, s);
}

Status JsonMessageStream::feed(std::string_view chunk) {
    if (failed_) return {};
    buf_.append(chunk);
    size_t start = 0;  // where the object being scanned begins
    for (size_t i = scan_; i < buf_.size(); i++) {
        char c = buf_[i];
        if (depth_ == 0) {
            if (c == ' ' || c == '\n' || c == '\r' || c == '\t') continue;
            if (c != '{' && c != '[')
                return makeError(EPROTO, "invalid character '{}' in the JSON message stream", c);
            depth_ = 1;
            start = i;
            continue;
        }
        if (inStr_) {
            if (esc_)
                esc_ = false;
            else if (c == '\\')
                esc_ = true;
            else if (c == '"')
                inStr_ = false;
            continue;
        }
        if (c == '"') {
            inStr_ = true;
        } else if (c == '{' || c == '[') {
            depth_++;
        } else if ((c == '}' || c == ']') && --depth_ == 0) {
            TRY(handle(std::string_view(buf_).substr(start, i + 1 - start)));
            if (failed_) {
                buf_.clear();
                scan_ = 0;
                return {};
            }
        }
    }
    // Keep only an object still open (it starts at 0 when it began in an earlier chunk).
    buf_.erase(0, depth_ > 0 ? start : buf_.size());
    scan_ = buf_.size();
    return {};
}

Status JsonMessageStream::finish() {
    if (failed_) {
        Error e{0, error_};
        e.quiet = true;
        return e;
    }
    if (depth_ > 0) return makeError(EPROTO, "unexpected end of the JSON message stream");
    return {};
}

Status JsonMessageStream::handle(std::string_view text) {
    json m = json::parse(text, nullptr, false);
    if (m.is_discarded() || !m.is_object())
        return makeError(EPROTO, "invalid JSON message: {}", text.substr(0, 200));
    if (auto a = m.find("aux"); a != m.end() && !a->is_null()) {
        aux_.push_back(a->dump());
        if (a->is_object()) {
            auto id = str(*a, "ID");
            if (!id.empty()) auxId_ = id;
        }
        if (o_.onAux) o_.onAux(*a);
        return {};
    }
    auto pd = m.find("progressDetail");
    bool hasProgress = pd != m.end() && pd->is_object();
    auto id = str(m, "id");
    unsigned diff = 0;
    if (!id.empty() && (hasProgress || !str(m, "progress").empty())) {
        auto [it, added] = ids_.try_emplace(id, static_cast<unsigned>(ids_.size()));
        // A new id gets a new line at the bottom; the cursor goes back up to an id's line,
        // writes it and comes down again.
        if (added && o_.terminal) TRY(out("\n"));
        diff = static_cast<unsigned>(ids_.size()) - it->second;
        if (o_.terminal && diff > 0) TRY(out(fmt::format("\x1b[{}A", diff)));
    } else {
        // Anything else ends the block of id lines: later ids start below it.
        ids_.clear();
    }
    auto st = display(m, hasProgress);
    if (!id.empty() && o_.terminal && diff > 0) TRY(out(fmt::format("\x1b[{}B", diff)));
    return st;
}

Status JsonMessageStream::display(const json& m, bool hasProgress) {
    auto ed = m.find("errorDetail");
    bool hasErrorDetail = ed != m.end() && ed->is_object();
    auto errorText = str(m, "error");
    if (hasErrorDetail || !errorText.empty()) {
        std::string msg = hasErrorDetail ? str(*ed, "message") : "";
        failed_ = true;
        error_ = msg.empty() ? errorText : msg;
        return {};
    }
    Progress p;
    if (hasProgress) {
        const json& d = m["progressDetail"];
        p.current = num(d, "current");
        p.total = num(d, "total");
        p.start = num(d, "start");
        auto hc = d.find("hidecounts");
        p.hideCounts = hc != d.end() && hc->is_boolean() && hc->get<bool>();
        p.units = str(d, "units");
    }
    auto stream = str(m, "stream");
    std::string line, endl;
    int64_t now = o_.nowSec ? o_.nowSec : static_cast<int64_t>(::time(nullptr));
    std::string bar = hasProgress ? formatProgress(p, width(), now) : "";
    if (o_.terminal && stream.empty() && hasProgress) {
        line = "\x1b[2K\r";
        endl = "\r";
    } else if (hasProgress && !bar.empty()) {
        return {};  // no progress bars off a terminal
    }
    if (int64_t ns = num(m, "timeNano"))
        line += rfc3339NanoFixed(ns) + " ";
    else if (int64_t s = num(m, "time"))
        line += rfc3339NanoFixed(s * 1000000000) + " ";
    auto id = str(m, "id");
    if (!id.empty()) line += id + ": ";
    auto from = str(m, "from");
    if (!from.empty()) line += "(from " + from + ") ";
    auto status = str(m, "status");
    auto progressText = str(m, "progress");
    if (hasProgress && o_.terminal)
        line += status + " " + bar + endl;
    else if (!progressText.empty())
        line += status + " " + progressText + endl;
    else if (!stream.empty())
        line += stream + endl;
    else
        line += status + endl + "\n";
    return out(line);
}

}  // namespace berth::cli
