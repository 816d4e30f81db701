#include "cli/verbs/info_inspect.h"

#include <nlohmann/json.hpp>

#include "cli/client.h"
#include "cli/template.h"
#include "cli/verbs/info_common.h"
#include "cli/verbs/util.h"

namespace berth::cli {

using nlohmann::json;

namespace {

std::string objectPath(const std::string& kind, const std::string& name, bool size) {
    std::string n = urlEncode(name);
    if (kind == "container") return "/containers/" + n + "/json" + (size ? "?size=1" : "");
    if (kind == "image") return "/images/" + n + "/json";
    if (kind == "network") return "/networks/" + n;
    return "/volumes/" + n;
}

// One object's raw JSON; a 404 is "not found" (nullopt with the daemon's error in *notFound).
Result<std::optional<std::string>> fetch(Ctx& ctx, const std::string& kind, const std::string& name,
                                         bool size, std::string* notFound) {
    auto* c = TRY(ctx.client());
    Request r;
    r.path = objectPath(kind, name, size);
    auto resp = TRY(c->call(r));
    if (resp.status == 404) {
        *notFound = apiError(resp).msg;
        return std::optional<std::string>();
    }
    if (!resp.ok()) return apiError(resp);
    return std::optional<std::string>(std::move(resp.body));
}

// Strips the whitespace outside strings (Go's json.Compact).
std::string compactJson(std::string_view raw) {
    std::string out;
    for (size_t i = 0; i < raw.size(); ++i) {
        char c = raw[i];
        if (c == '"') {
            size_t j = i + 1;
            while (j < raw.size() && raw[j] != '"') j += raw[j] == '\\' ? 2 : 1;
            out.append(raw.substr(i, j + 1 - i));
            i = j;
        } else if (c != ' ' && c != '\t' && c != '\n' && c != '\r') {
            out += c;
        }
    }
    return out;
}

}  // namespace

Result<int> infoInspect(Ctx& ctx, const std::vector<std::string>& names,
                        const InfoInspectOptions& opts) {
    static const std::vector<std::string> kAll = {"container", "image", "network", "volume"};
    std::optional<Template> tmpl;
    if (!opts.format.empty() && opts.format != "json") {
        auto t = Template::parse(opts.format);
        if (!t) {
            ctx.err("template parsing error: " + t.error().msg + "\n");
            return 64;
        }
        tmpl = std::move(*t);
    }
    std::vector<std::string> raws, errors;
    std::string out;
    for (auto& name : names) {
        std::optional<std::string> raw;
        std::string notFound;
        if (!opts.kind.empty()) {
            raw = TRY(fetch(ctx, opts.kind, name, opts.size, &notFound));
        } else {
            for (auto& k : kAll) {
                raw = TRY(fetch(ctx, k, name, opts.size && k == "container", &notFound));
                if (raw) break;
            }
            notFound = "Error: No such object: " + name;
        }
        if (!raw) {
            errors.push_back(notFound);
            continue;
        }
        if (!tmpl) {
            raws.push_back(std::move(*raw));
            continue;
        }
        auto data = json::parse(*raw, nullptr, false);
        ExecOptions eo;
        eo.missingKeyError = true;
        auto r = tmpl->execute(data, eo);
        if (!r) {
            errors.push_back("template parsing error: " + r.error().msg);
            continue;
        }
        out += *r + "\n";
    }
    if (tmpl) {
        ctx.out(out.empty() ? std::string("\n") : out);
    } else if (raws.empty()) {
        ctx.out("[]\n");
    } else {
        std::string joined = "[";
        for (size_t i = 0; i < raws.size(); ++i) joined += (i ? "," : "") + raws[i];
        joined += "]";
        ctx.out((opts.format == "json" ? compactJson(joined) : infoIndentJson(joined)) + "\n");
    }
    for (auto& e : errors) ctx.err(e + "\n");
    return errors.empty() ? 0 : 1;
}

}  // namespace berth::cli
