#include "api/exchange.h"

#include <nlohmann/json.hpp>

#include "api/serve.h"

namespace berth::api {

std::string Request::q(const std::string& key, const std::string& def) const {
    auto it = query.find(key);
    if (it == query.end() || it->second.empty()) return def;
    return it->second.back();
}

bool Request::qBool(const std::string& key) const {
    auto v = q(key);
    for (auto& c : v) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return !(v.empty() || v == "0" || v == "no" || v == "false" || v == "none");
}

bool Request::qBool(const std::string& key, bool def) const {
    if (!has(key)) return def;
    return qBool(key);
}

std::vector<std::string> Request::qAll(const std::string& key) const {
    auto it = query.find(key);
    return it == query.end() ? std::vector<std::string>{} : it->second;
}

std::string Request::header(const std::string& lowerName) const {
    auto it = headers.find(lowerName);
    return it == headers.end() ? std::string() : it->second;
}

int Request::versionCmp(std::string_view v) const {
    auto parse = [](std::string_view s) {
        int a = 0, b = 0;
        auto dot = s.find('.');
        for (char c : s.substr(0, dot))
            if (std::isdigit(static_cast<unsigned char>(c))) a = a * 10 + (c - '0');
        if (dot != std::string_view::npos)
            for (char c : s.substr(dot + 1))
                if (std::isdigit(static_cast<unsigned char>(c))) b = b * 10 + (c - '0');
        return std::pair{a, b};
    };
    auto x = parse(apiVersion), y = parse(v);
    return x < y ? -1 : (x > y ? 1 : 0);
}

Result<std::string> Exchange::body(size_t limit) {
    std::string out;
    char buf[65536];
    for (;;) {
        auto n = TRY(readBody(buf, sizeof buf));
        if (n == 0) return out;
        if (out.size() + n > limit) return invalid("request body larger than {} bytes", limit);
        out.append(buf, n);
    }
}

Result<nlohmann::json> Exchange::bodyJson(bool allowEmpty) {
    auto text = TRY(body());
    bool blank = text.find_first_not_of(" \t\r\n") == std::string::npos;
    if (blank) {
        if (allowEmpty) return nlohmann::json();
        return invalid("bad parameter: request body is empty");
    }
    auto j = nlohmann::json::parse(text, nullptr, false);
    if (j.is_discarded()) return invalid("invalid JSON: malformed request body");
    return j;
}

Status Exchange::sendJson(int status, const nlohmann::json& j) {
    return send(status, "application/json", j.dump() + "\n");
}

Status Exchange::sendNoContent(int status) {
    return send(status, "", "");
}

Status Exchange::sendError(const Error& e) {
    return sendError(httpStatusFor(e), errorMessage(e));
}

Status Exchange::sendError(int status, const std::string& message) {
    if (status == 304) return send(304, "", "");
    return send(status, "application/json", nlohmann::json{{"message", message}}.dump() + "\n");
}

int httpStatusFor(const Error& e) {
    switch (e.code) {
        case ENOENT:
            return 404;
        case EINVAL:
            return 400;
        case EEXIST:
        case EBUSY:
        case ENOTEMPTY:
        case EADDRINUSE:
            return 409;
        case EALREADY:
            return 304;
        default:
            return 500;
    }
}

std::string errorMessage(const Error& e) {
    int s = httpStatusFor(e);
    if (e.quiet || (s >= 400 && s < 500)) return e.msg;
    return e.str();
}

Status writeStreamError(Exchange& ex, const Error& e) {
    auto m = errorMessage(e);
    nlohmann::json j{{"errorDetail", {{"message", m}}}, {"error", m}};
    return ex.writeChunk(j.dump() + "\n");
}

}  // namespace berth::api
