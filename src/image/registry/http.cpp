#include "image/registry/http.h"

#include <curl/curl.h>

#include <algorithm>
#include <cctype>
#include <memory>
#include <mutex>

namespace berth::image::registry {

namespace {

std::string lower(std::string_view s) {
    std::string o(s);
    for (auto& c : o) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return o;
}

std::string_view trim(std::string_view s) {
    while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
    while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
    return s;
}

void globalInit() {
    static std::once_flag once;
    std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

struct EasyDeleter {
    void operator()(CURL* c) const { curl_easy_cleanup(c); }
};

// One handle per thread: curl keeps the connection cache in the handle.
CURL* threadHandle() {
    thread_local std::unique_ptr<CURL, EasyDeleter> h;
    if (!h) {
        globalInit();
        h.reset(curl_easy_init());
    } else {
        curl_easy_reset(h.get());
    }
    return h.get();
}

struct SlistDeleter {
    void operator()(curl_slist* l) const { curl_slist_free_all(l); }
};

struct Transfer {
    const HttpRequest* req;
    HttpResponse resp;
    bool headersDone = false;  // the final response's header block ended
    bool streaming = false;    // body goes to req->sink
    Status failure;            // from onResponse/sink/body cap: why curl was aborted
    bool failed = false;

    void fail(Error e) {
        if (!failed) failure = std::move(e);
        failed = true;
    }
};

size_t onHeader(char* data, size_t size, size_t n, void* ud) {
    auto* t = static_cast<Transfer*>(ud);
    std::string_view line(data, size * n);
    if (line.rfind("HTTP/", 0) == 0) {
        // A new response (after a redirect or a 100 Continue): forget the previous one.
        t->resp.headers.clear();
        t->headersDone = false;
        auto sp = line.find(' ');
        if (sp != std::string_view::npos) {
            auto rest = line.substr(sp + 1);
            t->resp.status = std::strtol(std::string(rest.substr(0, 3)).c_str(), nullptr, 10);
            t->resp.reason = rest.size() > 4 ? std::string(trim(rest.substr(4))) : "";
        }
        return size * n;
    }
    auto colon = line.find(':');
    if (colon != std::string_view::npos) {
        t->resp.headers.emplace_back(lower(trim(line.substr(0, colon))),
                                     std::string(trim(line.substr(colon + 1))));
        return size * n;
    }
    if (!trim(line).empty()) return size * n;
    // End of a header block: is this the final response?
    long st = t->resp.status;
    if (st >= 100 && st < 200) return size * n;
    if (st >= 300 && st < 400 && t->req->followRedirects && !t->resp.header("location").empty())
        return size * n;
    t->headersDone = true;
    if (t->resp.ok() && t->req->sink) {
        t->streaming = true;
        if (t->req->onResponse) {
            auto s = t->req->onResponse(t->resp);
            if (!s) {
                t->fail(std::move(s).error());
                return 0;
            }
        }
    }
    return size * n;
}

size_t onBody(char* data, size_t size, size_t n, void* ud) {
    auto* t = static_cast<Transfer*>(ud);
    size_t len = size * n;
    if (t->streaming) {
        auto s = t->req->sink(data, len);
        if (!s) {
            t->fail(std::move(s).error());
            return 0;
        }
        return len;
    }
    if (static_cast<int64_t>(t->resp.body.size() + len) > t->req->maxBody) {
        t->fail(makeError(EFBIG, "response body larger than {} bytes", t->req->maxBody));
        return 0;
    }
    t->resp.body.append(data, len);
    return len;
}

int onXfer(void* ud, curl_off_t, curl_off_t, curl_off_t, curl_off_t ulnow) {
    auto* t = static_cast<Transfer*>(ud);
    if (t->req->cancel && t->req->cancel->load()) {
        t->fail(makeError(ECANCELED, "cancelled"));
        return 1;
    }
    if (t->req->onUpload && ulnow > 0) t->req->onUpload(static_cast<int64_t>(ulnow));
    return 0;
}

int curlErrno(CURLcode c) {
    switch (c) {
        case CURLE_COULDNT_CONNECT:
            return ECONNREFUSED;
        case CURLE_COULDNT_RESOLVE_HOST:
            return EHOSTUNREACH;
        case CURLE_OPERATION_TIMEDOUT:
            return ETIMEDOUT;
        default:
            return EIO;
    }
}

}  // namespace

std::string HttpResponse::header(std::string_view name) const {
    auto n = lower(name);
    for (auto& [k, v] : headers)
        if (k == n) return v;
    return "";
}

std::vector<std::string> HttpResponse::headerAll(std::string_view name) const {
    auto n = lower(name);
    std::vector<std::string> out;
    for (auto& [k, v] : headers)
        if (k == n) out.push_back(v);
    return out;
}

Result<HttpResponse> httpSend(const HttpRequest& r) {
    CURL* c = threadHandle();
    if (!c) return makeError(ENOMEM, "curl_easy_init failed");
    Transfer t{&r, {}};
    char errbuf[CURL_ERROR_SIZE] = {};
    std::unique_ptr<curl_slist, SlistDeleter> hdrs;
    auto addHeader = [&](const std::string& h) {
        hdrs.reset(curl_slist_append(hdrs.release(), h.c_str()));
    };
    for (auto& h : r.headers) addHeader(h);
    // No "Expect: 100-continue" round trip before uploads.
    addHeader("Expect:");

    curl_easy_setopt(c, CURLOPT_URL, r.url.c_str());
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 30L);
    // A stalled transfer (less than 1 byte/s for 60 s) fails instead of hanging forever.
    curl_easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, 1L);
    curl_easy_setopt(c, CURLOPT_LOW_SPEED_TIME, 60L);
    curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, r.followRedirects ? 1L : 0L);
    curl_easy_setopt(c, CURLOPT_MAXREDIRS, 10L);
    curl_easy_setopt(c, CURLOPT_USERAGENT, "berth/0.1");
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, onHeader);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, &t);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, onBody);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &t);
    curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
    curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, onXfer);
    curl_easy_setopt(c, CURLOPT_XFERINFODATA, &t);
    if (!r.caFile.empty()) curl_easy_setopt(c, CURLOPT_CAINFO, r.caFile.c_str());

    if (r.method == "GET") {
        curl_easy_setopt(c, CURLOPT_HTTPGET, 1L);
    } else if (r.method == "HEAD") {
        curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
    } else {
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, r.body.data());
        curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(r.body.size()));
        curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, r.method.c_str());
        bool hasType = std::any_of(r.headers.begin(), r.headers.end(), [](const std::string& h) {
            return lower(h).rfind("content-type:", 0) == 0;
        });
        // curl would otherwise label every body a form post.
        if (!hasType) addHeader("Content-Type: application/octet-stream");
    }
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdrs.get());

    CURLcode rc = curl_easy_perform(c);
    if (t.failed) return std::move(t.failure).error();
    if (rc != CURLE_OK) {
        std::string detail = errbuf[0] ? errbuf : curl_easy_strerror(rc);
        return Error{curlErrno(rc), fmt::format("{} {}: {}", r.method, r.url, detail), true};
    }
    long code = 0;
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
    t.resp.status = code;
    char* eff = nullptr;
    curl_easy_getinfo(c, CURLINFO_EFFECTIVE_URL, &eff);
    t.resp.url = eff ? eff : r.url;
    return std::move(t.resp);
}

std::string mediaTypeOf(std::string_view ct) {
    auto semi = ct.find(';');
    return lower(trim(ct.substr(0, semi)));
}

std::string resolveUrl(const std::string& base, const std::string& loc) {
    if (loc.find("://") != std::string::npos) return loc;
    auto schemeEnd = base.find("://");
    auto hostEnd = base.find('/', schemeEnd == std::string::npos ? 0 : schemeEnd + 3);
    std::string origin = hostEnd == std::string::npos ? base : base.substr(0, hostEnd);
    if (!loc.empty() && loc[0] == '/') return origin + loc;
    auto q = base.find('?');
    auto dir = base.substr(0, q);
    dir = dir.substr(0, dir.rfind('/') + 1);
    return dir + loc;
}

std::string urlEncode(std::string_view s) {
    std::string o;
    for (unsigned char c : s) {
        if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~')
            o += static_cast<char>(c);
        else
            o += fmt::format("%{:02X}", c);
    }
    return o;
}

}  // namespace berth::image::registry
