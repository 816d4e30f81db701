// Prefixed, coloured multi-container logs.
#include "cli/compose/logs.h"

#include <algorithm>

#include "cli/client.h"
#include "cli/verbs/util.h"

namespace berth::cli::compose {

namespace {

// docker compose's palette order: cyan, yellow, green, magenta, blue, then the bright ones.
constexpr const char* kPalette[] = {"36", "33", "32", "35", "34", "96", "93", "92", "95", "94"};

}  // namespace

LogPrinter::LogPrinter(Ctx& ctx, LogOptions o) : ctx_(ctx), o_(std::move(o)) {}

LogPrinter::~LogPrinter() {
    wait();
}

void LogPrinter::reserveWidth(size_t w) {
    std::lock_guard lock(mu_);
    width_ = std::max(width_, w);
}

Status LogPrinter::status() {
    std::lock_guard lock(mu_);
    return status_;
}

void LogPrinter::line(const LogSource& s, std::string_view text, int colour) {
    std::string out;
    if (o_.prefix) {
        std::string name = s.name;
        name.resize(std::max(width_, name.size()), ' ');
        if (o_.colour)
            out = fmt::format("\x1b[{}m{}  |\x1b[0m ", kPalette[colour % 10], name);
        else
            out = name + "  | ";
    }
    out += text;
    out += '\n';
    std::lock_guard lock(mu_);
    ctx_.out(out);
}

void LogPrinter::add(const LogSource& s, std::function<void(const LogSource&)> onEnd) {
    int colour;
    {
        std::lock_guard lock(mu_);
        width_ = std::max(width_, s.name.size());
        auto it = std::find(colourOf_.begin(), colourOf_.end(), s.service);
        colour = static_cast<int>(it - colourOf_.begin());
        if (it == colourOf_.end()) colourOf_.push_back(s.service);
    }
    running_++;
    threads_.emplace_back([this, s, colour, onEnd = std::move(onEnd)] {
        auto finish = [&](Status st) {
            if (!st) {
                std::lock_guard lock(mu_);
                if (status_) status_ = st;
            }
            if (onEnd) onEnd(s);
            running_--;
        };
        auto client = Client::open(ctx_.globals(), ctx_.hostUrl());
        if (!client) return finish(std::move(client).error());
        Request r;
        r.path = "/containers/" + s.id + "/logs" +
                 query({{"stdout", "1"},
                        {"stderr", "1"},
                        {"follow", o_.follow ? "1" : ""},
                        {"timestamps", o_.timestamps ? "1" : ""},
                        {"tail", o_.tail == "all" ? "" : o_.tail},
                        {"since", s.since},
                        {"until", o_.until}});
        std::string frames, pending;
        auto text = [&](std::string_view d) {
            pending.append(d);
            size_t start = 0;
            for (size_t nl; (nl = pending.find('\n', start)) != std::string::npos; start = nl + 1) {
                std::string_view l(pending.data() + start, nl - start);
                if (!l.empty() && l.back() == '\r') l.remove_suffix(1);
                line(s, l, colour);
            }
            pending.erase(0, start);
        };
        auto resp = (*client)->stream(r, [&](std::string_view d) {
            if (s.tty) {
                text(d);
                return true;
            }
            frames.append(d);
            size_t off = 0;
            while (frames.size() - off >= 8) {
                auto u = [&](size_t i) { return static_cast<uint8_t>(frames[off + i]); };
                uint32_t len = (uint32_t(u(4)) << 24) | (uint32_t(u(5)) << 16) |
                               (uint32_t(u(6)) << 8) | uint32_t(u(7));
                if (frames.size() - off - 8 < len) break;
                text(std::string_view(frames).substr(off + 8, len));
                off += 8 + len;
            }
            frames.erase(0, off);
            return true;
        });
        if (!pending.empty()) line(s, pending, colour);
        if (!resp) return finish(std::move(resp).error());
        if (!resp->ok()) return finish(apiError(*resp));
        finish({});
    });
}

void LogPrinter::wait() {
    for (auto& t : threads_)
        if (t.joinable()) t.join();
}

}  // namespace berth::cli::compose
