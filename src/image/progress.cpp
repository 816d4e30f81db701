// Docker's JSON messages (moby's pkg/jsonmessage) and the CLI's renderings of them.
#include "image/progress.h"

#include <algorithm>
#include <map>
#include <nlohmann/json.hpp>

namespace berth::image {

namespace {

using ojson = nlohmann::ordered_json;

// go-units HumanSizeWithPrecision(size, 4): decimal units, 4 significant digits ("1.234MB").
std::string humanSize(int64_t n) {
    static const char* units[] = {"B", "kB", "MB", "GB", "TB", "PB", "EB", "ZB", "YB"};
    double v = static_cast<double>(n);
    size_t i = 0;
    while (v >= 1000.0 && i + 1 < std::size(units)) {
        v /= 1000.0;
        i++;
    }
    return fmt::format("{:.4g}{}", v, units[i]);
}

// jsonmessage.JSONProgress.String(): "[=====>      ]  12.35MB/45.6MB". barWidth 0 leaves the
// bar out (docker does on narrow terminals); the API's messages use 50.
std::string progressText(int64_t cur, int64_t total, int barWidth) {
    if (cur < 0) cur = 0;
    if (cur <= 0 && total <= 0) return "";
    if (total <= 0) return fmt::format("{:>8}", humanSize(cur));
    std::string bar;
    if (barWidth > 0) {
        int filled =
            static_cast<int>(static_cast<double>(cur) / static_cast<double>(total) * barWidth);
        filled = std::clamp(filled, 0, barWidth);
        bar = "[" + std::string(static_cast<size_t>(filled), '=') + ">" +
              std::string(static_cast<size_t>(barWidth - filled), ' ') + "] ";
    }
    if (cur > total) return bar + fmt::format("{:>8}", humanSize(cur));
    return bar + fmt::format("{:>8}/{}", humanSize(cur), humanSize(total));
}

// Docker sends "progressDetail" with every per-layer update (formatProgress) but not with
// plain messages (formatStatus: "Pulling from ...", "Digest: ...").
bool hasProgressDetail(const ProgressEvent& e) {
    if (e.current >= 0 || e.total >= 0) return true;
    if (!e.aux.empty()) return true;
    return !e.id.empty() && e.status.rfind("Pulling from ", 0) != 0;
}

class JsonProgress final : public Progress {
  public:
    explicit JsonProgress(WriteFn out) : out_(std::move(out)) {}
    void emit(const ProgressEvent& e) override {
        auto line = progressEventJson(e) + "\n";
        std::lock_guard l(mu_);
        (void)out_(line);
    }

  private:
    WriteFn out_;
    std::mutex mu_;
};

// Not a terminal: one line per status change of each id, no byte counts.
class PlainProgress final : public Progress {
  public:
    explicit PlainProgress(WriteFn out) : out_(std::move(out)) {}
    void emit(const ProgressEvent& e) override {
        std::lock_guard l(mu_);
        if (!e.error.empty()) {
            (void)out_(e.error + "\n");
            return;
        }
        if (!e.stream.empty()) {
            (void)out_(e.stream);
            return;
        }
        if (e.status.empty()) return;
        if (!e.id.empty()) {
            auto& last = last_[e.id];
            if (last == e.status) return;
            last = e.status;
            (void)out_(e.id + ": " + e.status + "\n");
            return;
        }
        (void)out_(e.status + "\n");
    }

  private:
    WriteFn out_;
    std::mutex mu_;
    std::map<std::string, std::string> last_;
};

// A terminal: one line per id, redrawn in place (cursor up, clear line, cursor down) as docker's
// DisplayJSONMessagesStream does.
class TtyProgress final : public Progress {
  public:
    TtyProgress(WriteFn out, int width) : out_(std::move(out)), width_(std::max(width, 20)) {}
    void emit(const ProgressEvent& e) override {
        std::lock_guard l(mu_);
        if (!e.error.empty()) {
            lines_.clear();
            (void)out_(e.error + "\n");
            return;
        }
        if (!e.stream.empty()) {
            lines_.clear();
            (void)out_(e.stream);
            return;
        }
        if (e.status.empty()) return;
        std::string text = (e.id.empty() ? "" : e.id + ": ") + e.status;
        int bar = width_ > 110 ? 50 : std::clamp(width_ - 60, 10, 50);
        auto p = progressText(e.current, e.total, bar);
        if (!p.empty()) text += " " + p;
        // A line longer than the terminal would wrap and break the cursor arithmetic.
        if (static_cast<int>(text.size()) >= width_) text.resize(static_cast<size_t>(width_ - 1));
        if (e.id.empty()) {
            // Output outside the per-id block ends it: later ids start a new block below.
            lines_.clear();
            (void)out_(text + "\n");
            return;
        }
        auto it = lines_.find(e.id);
        if (it == lines_.end()) {
            lines_[e.id] = lines_.size();
            (void)out_(text + "\n");
            return;
        }
        size_t up = lines_.size() - it->second;
        (void)out_(fmt::format("\x1b[{}A\r\x1b[2K{}\x1b[{}B\r", up, text, up));
    }

  private:
    WriteFn out_;
    int width_;
    std::mutex mu_;
    std::map<std::string, size_t> lines_;
};

}  // namespace

std::unique_ptr<Progress> makeJsonProgress(WriteFn out) {
    return std::make_unique<JsonProgress>(std::move(out));
}

std::unique_ptr<Progress> makeTextProgress(WriteFn out, bool tty, int width) {
    if (tty) return std::make_unique<TtyProgress>(std::move(out), width);
    return std::make_unique<PlainProgress>(std::move(out));
}

std::string progressEventJson(const ProgressEvent& e) {
    ojson j = ojson::object();
    if (!e.stream.empty()) j["stream"] = e.stream;
    if (!e.status.empty()) j["status"] = e.status;
    if (hasProgressDetail(e)) {
        ojson d = ojson::object();
        // Go's omitempty: zero counts are left out.
        if (e.current > 0) d["current"] = e.current;
        if (e.total > 0) d["total"] = e.total;
        j["progressDetail"] = d;
        auto p = progressText(e.current, e.total, 50);
        if (!p.empty()) j["progress"] = p;
    }
    if (!e.id.empty()) j["id"] = e.id;
    if (!e.error.empty()) {
        j["errorDetail"] = ojson{{"message", e.error}};
        j["error"] = e.error;
    }
    if (!e.aux.empty()) {
        try {
            j["aux"] = ojson::parse(e.aux);
        } catch (const ojson::exception&) {
            j["aux"] = e.aux;
        }
    }
    return j.dump(-1, ' ', false, ojson::error_handler_t::replace);
}

Result<ProgressEvent> parseProgressEventJson(std::string_view line) {
    ojson j;
    try {
        j = ojson::parse(line);
    } catch (const ojson::exception& ex) {
        return invalid("progress message: invalid JSON: {}", ex.what());
    }
    if (!j.is_object()) return invalid("progress message: not a JSON object");
    ProgressEvent e;
    auto str = [&](const char* k) {
        auto it = j.find(k);
        return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
    };
    e.id = str("id");
    e.status = str("status");
    e.stream = str("stream");
    if (auto it = j.find("progressDetail"); it != j.end() && it->is_object()) {
        if (auto c = it->find("current"); c != it->end() && c->is_number_integer())
            e.current = c->get<int64_t>();
        if (auto t = it->find("total"); t != it->end() && t->is_number_integer())
            e.total = t->get<int64_t>();
        // Go omits a zero count: a total without a current means 0 so far.
        if (e.total > 0 && e.current < 0) e.current = 0;
    }
    if (auto it = j.find("errorDetail"); it != j.end() && it->is_object())
        if (auto m = it->find("message"); m != it->end() && m->is_string()) e.error = *m;
    if (e.error.empty()) e.error = str("error");
    if (auto it = j.find("aux"); it != j.end()) e.aux = it->dump();
    return e;
}

}  // namespace berth::image
