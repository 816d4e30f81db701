#include "cli/verbs/image_progress.h"

#include <sys/ioctl.h>
#include <unistd.h>

#include <ctime>
#include <map>

#include <nlohmann/json.hpp>

#include "cli/units.h"

namespace berth::cli {

using nlohmann::json;

namespace {

int64_t num(const json& o, const char* k) {
    auto it = o.find(k);
    if (it == o.end() || !it->is_number()) return 0;
    return it->get<int64_t>();
}

std::string str(const json& o, const char* k) {
    auto it = o.find(k);
    if (it == o.end() || !it->is_string()) return {};
    return it->get<std::string>();
}

std::string goDuration(int64_t secs) {
    if (secs == 0) return "0s";
    std::string s;
    if (secs >= 3600) s += fmt::format("{}h", secs / 3600);
    if (secs >= 60) s += fmt::format("{}m", secs % 3600 / 60);
    s += fmt::format("{}s", secs % 60);
    return s;
}

// One stream's state: the line each progress ID occupies (terminal redraws).
class Renderer {
  public:
    Renderer(Ctx& ctx, const ProgressOptions& o) : ctx_(ctx), opts_(o) {
        struct winsize ws {};
        if (o.terminal && ::ioctl(ctx.outFd, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0)
            width_ = ws.ws_col;
    }

    // False with err_ set on an error message.
    bool message(const json& m) {
        if (!m.is_object()) return true;
        if (auto e = m.find("errorDetail"); e != m.end() && e->is_object()) {
            failed_ = true;
            err_ = str(*e, "message");
            code_ = static_cast<int>(num(*e, "code"));
            if (err_.empty()) err_ = str(m, "error");
            return false;
        }
        if (auto e = m.find("error");
            e != m.end() && e->is_string() && !e->get<std::string>().empty()) {
            failed_ = true;
            err_ = e->get<std::string>();
            return false;
        }
        if (auto a = m.find("aux"); a != m.end() && !a->is_null()) {
            if (opts_.onAux) opts_.onAux(*a);
            return true;
        }
        if (!opts_.display) return true;
        std::string id = str(m, "id");
        bool hasProgress = m.contains("progressDetail") && m["progressDetail"].is_object();
        std::string progressMsg = str(m, "progress");
        int diff = 0;
        if (!id.empty() && (hasProgress || !progressMsg.empty())) {
            auto it = lines_.find(id);
            int line;
            if (it == lines_.end()) {
                line = static_cast<int>(lines_.size());
                lines_[id] = line;
                if (opts_.terminal) out_ += "\n";
            } else {
                line = it->second;
            }
            diff = static_cast<int>(lines_.size()) - line;
            if (opts_.terminal && diff > 0) out_ += fmt::format("\x1b[{}A", diff);
        } else {
            lines_.clear();
        }
        display(m, id, hasProgress, progressMsg);
        if (!id.empty() && opts_.terminal && diff > 0) out_ += fmt::format("\x1b[{}B", diff);
        flush();
        return true;
    }

    const std::string& error() const { return err_; }
    int code() const { return code_ == 0 ? 1 : code_; }

  private:
    void display(const json& m, const std::string& id, bool hasProgress,
                 const std::string& progressMsg) {
        std::string stream = str(m, "stream");
        std::string status = str(m, "status");
        std::string endl;
        std::string bar;
        if (hasProgress) bar = progressText(m["progressDetail"], width_, std::time(nullptr));
        if (opts_.terminal && stream.empty() && hasProgress) {
            out_ += "\x1b[2K\r";
            endl = "\r";
        } else if (hasProgress && !bar.empty()) {
            return;  // no progress bars off a terminal
        }
        if (!id.empty()) out_ += id + ": ";
        if (auto from = str(m, "from"); !from.empty()) out_ += from + ": ";
        if (hasProgress && opts_.terminal) {
            out_ += status + " " + bar + endl;
        } else if (!progressMsg.empty()) {
            out_ += status + " " + progressMsg + endl;
        } else if (!stream.empty()) {
            out_ += stream + endl;
        } else {
            out_ += status + endl + "\n";
        }
    }

    void flush() {
        ctx_.out(out_);
        out_.clear();
    }

    Ctx& ctx_;
    const ProgressOptions& opts_;
    int width_ = 200;
    std::map<std::string, int> lines_;
    std::string out_;
    std::string err_;
    int code_ = 0;
    bool failed_ = false;
};

}  // namespace

std::string progressText(const json& d, int width, int64_t now) {
    int64_t current = num(d, "current"), total = num(d, "total"), start = num(d, "start");
    std::string units = str(d, "units");
    if (current <= 0 && total <= 0) return "";
    if (total <= 0) {
        if (units.empty()) return fmt::format("{:>8}", humanSize(static_cast<double>(current)));
        return fmt::format("{} {}", current, units);
    }
    int pct = static_cast<int>(static_cast<double>(current) / static_cast<double>(total) * 100) / 2;
    if (pct > 50) pct = 50;
    std::string pb, numbers, left;
    if (width > 110) {
        int spaces = 50 - pct > 0 ? 50 - pct : 0;
        pb = "[" + std::string(static_cast<size_t>(pct), '=') + ">" +
             std::string(static_cast<size_t>(spaces), ' ') + "] ";
    }
    if (units.empty()) {
        auto c = humanSize(static_cast<double>(current));
        numbers = current > total
                      ? fmt::format("{:>8}", c)
                      : fmt::format("{:>8}/{}", c, humanSize(static_cast<double>(total)));
    } else {
        numbers = current > total ? fmt::format("{} {}", current, units)
                                  : fmt::format("{}/{} {}", current, total, units);
    }
    if (current > 0 && start > 0 && pct < 50) {
        double per = static_cast<double>(now - start) / static_cast<double>(current);
        auto secs = static_cast<int64_t>(static_cast<double>(total - current) * per + 0.5);
        left = " " + goDuration(secs);
    }
    return pb + numbers + left;
}

Status streamProgress(Ctx& ctx, const Request& r, const ProgressOptions& opts) {
    auto* c = TRY(ctx.client());
    Renderer rend(ctx, opts);
    std::string buf;
    bool stopped = false;
    auto resp = TRY(c->stream(r, [&](std::string_view data) {
        buf.append(data);
        size_t pos;
        while ((pos = buf.find('\n')) != std::string::npos) {
            std::string line = buf.substr(0, pos);
            buf.erase(0, pos + 1);
            if (line.find_first_not_of(" \r\t") == std::string::npos) continue;
            auto m = json::parse(line, nullptr, false);
            if (m.is_discarded()) continue;
            if (!rend.message(m)) {
                stopped = true;
                return false;
            }
        }
        return true;
    }));
    if (!resp.ok()) return apiError(resp);
    if (!stopped && !buf.empty()) {
        auto m = json::parse(buf, nullptr, false);
        if (!m.is_discarded() && !rend.message(m)) stopped = true;
    }
    if (stopped) return Error{rend.code(), rend.error(), true};
    return {};
}

}  // namespace berth::cli
