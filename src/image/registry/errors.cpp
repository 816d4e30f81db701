#include "image/registry/errors.h"

#include <nlohmann/json.hpp>

namespace berth::image::registry {

std::string registryErrorText(const HttpResponse& r) {
    try {
        auto j = nlohmann::json::parse(r.body);
        std::string out;
        if (j.contains("errors") && j["errors"].is_array()) {
            for (auto& e : j["errors"]) {
                std::string code = e.value("code", "");
                for (auto& c : code) c = c == '_' ? ' ' : static_cast<char>(std::tolower(c));
                std::string msg = e.value("message", "");
                if (!out.empty()) out += "; ";
                out += code.empty() ? msg : msg.empty() ? code : code + ": " + msg;
            }
        } else if (j.contains("details") && j["details"].is_string()) {
            out = j["details"];  // some token servers
        } else if (j.contains("error") && j["error"].is_string()) {
            out = j["error"];
        }
        if (!out.empty()) return out;
    } catch (const nlohmann::json::exception&) {
    }
    // Bodiless answers (HEAD) to requests without access: say what docker says.
    if (r.status == 401) return "unauthorized: authentication required";
    if (r.status == 403) return "denied: requested access to the resource is denied";
    std::string out = fmt::format("{} {}", r.status, r.reason.empty() ? "error" : r.reason);
    std::string body = r.body.substr(0, 200);
    while (!body.empty() && std::isspace(static_cast<unsigned char>(body.back()))) body.pop_back();
    bool printable = !body.empty() && body.find('<') == std::string::npos &&
                     std::all_of(body.begin(), body.end(), [](char c) {
                         return std::isprint(static_cast<unsigned char>(c));
                     });
    if (printable) out += ": " + body;
    return out;
}

Error registryError(const std::string& what, const HttpResponse& r) {
    int code = r.status == 404 ? ENOENT : (r.status == 401 || r.status == 403) ? EACCES : EIO;
    return Error{code, what + ": " + registryErrorText(r), true};
}

}  // namespace berth::image::registry
