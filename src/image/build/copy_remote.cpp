// ADD <url>: the download, through libcurl (redirects followed, HTTP errors fail the step; the
// usual *_proxy environment variables apply).
#include <curl/curl.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/unique_fd.h"
#include "image/build/copy.h"

namespace berth::image::build {

namespace {

// The last non-empty path component of the URL, without query or fragment.
Result<std::string> urlFileName(const std::string& url) {
    std::string p = url.substr(url.find("://") + 3);
    auto slash = p.find('/');
    p = slash == std::string::npos ? "" : p.substr(slash);
    p = p.substr(0, p.find_first_of("?#"));
    while (!p.empty() && p.back() == '/') p.pop_back();
    auto last = p.find_last_of('/');
    std::string name = last == std::string::npos ? "" : p.substr(last + 1);
    if (name.empty() || name == "." || name == "..") {
        return invalid("cannot determine filename from url: {}", url);
    }
    return name;
}

struct Sink {
    int fd;
    int err = 0;
};

size_t writeCb(char* data, size_t size, size_t n, void* user) {
    auto* s = static_cast<Sink*>(user);
    size_t total = size * n, off = 0;
    while (off < total) {
        ssize_t w = ::write(s->fd, data + off, total - off);
        if (w < 0) {
            if (errno == EINTR) continue;
            s->err = errno;
            return 0;
        }
        off += static_cast<size_t>(w);
    }
    return total;
}

}  // namespace

Result<std::string> fetchUrl(const std::string& url, const std::string& dir) {
    std::string name = TRY(urlFileName(url));
    std::string path = dir + "/" + name;
    UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600));
    if (!fd) return errnoError("create {}", path);
    CURL* c = curl_easy_init();
    if (!c) return invalid("ADD {}: curl_easy_init failed", url);
    Sink sink{fd.get()};
    char errbuf[CURL_ERROR_SIZE] = "";
    curl_easy_setopt(c, CURLOPT_URL, url.c_str());
    curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 1L);
    curl_easy_setopt(c, CURLOPT_MAXREDIRS, 10L);
    curl_easy_setopt(c, CURLOPT_FAILONERROR, 1L);
    curl_easy_setopt(c, CURLOPT_FILETIME, 1L);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 30L);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, writeCb);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &sink);
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
    CURLcode rc = curl_easy_perform(c);
    curl_off_t filetime = -1;
    curl_easy_getinfo(c, CURLINFO_FILETIME_T, &filetime);
    curl_easy_cleanup(c);
    if (sink.err) return makeError(sink.err, "ADD {}: write {}", url, path);
    if (rc != CURLE_OK) {
        return invalid("ADD {}: {}", url, errbuf[0] ? errbuf : curl_easy_strerror(rc));
    }
    if (filetime >= 0) {
        struct timespec ts[2] = {{static_cast<time_t>(filetime), 0},
                                 {static_cast<time_t>(filetime), 0}};
        if (::futimens(fd.get(), ts) < 0) return errnoError("set times of {}", path);
    }
    return name;
}

}  // namespace berth::image::build
