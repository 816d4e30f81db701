#include "image/registry/layer_fetch.h"

#include <fcntl.h>
#include <unistd.h>

#include <chrono>
#include <map>
#include <memory>
#include <thread>
#include <vector>

#include "common/sys.h"
#include "image/registry/growing_file.h"

namespace berth::image::registry {

namespace {

using Clock = std::chrono::steady_clock;

// A layer being fetched in this process, shared by every pull that needs it.
struct Job {
    std::mutex mu;
    std::condition_variable cv;
    bool done = false;
    Status result;
    std::vector<Progress*> watchers;

    void emit(const ProgressEvent& e) {
        std::lock_guard l(mu);
        for (auto* w : watchers) w->emit(e);
    }
    size_t watcherCount() {
        std::lock_guard l(mu);
        return watchers.size();
    }
    void detach(Progress* p) {
        std::lock_guard l(mu);
        std::erase(watchers, p);
    }
};

std::mutex g_jobsMu;
std::map<std::string, std::shared_ptr<Job>>& jobs() {
    static std::map<std::string, std::shared_ptr<Job>> m;
    return m;
}

// Progress updates at most every 100 ms (and always the last one).
struct Throttle {
    Clock::time_point last{};
    bool due() {
        auto now = Clock::now();
        if (now - last < std::chrono::milliseconds(100)) return false;
        last = now;
        return true;
    }
};

bool retriable(const Error& e) {
    switch (e.code) {
        case EIO:
        case ETIMEDOUT:
        case ECONNREFUSED:
        case ECONNRESET:
        case EHOSTUNREACH:
            return true;
        default:
            return false;
    }
}

class Fetcher {
  public:
    Fetcher(const FetchEnv& env, const LayerFetch& l, Job& job)
        : env_(env), l_(l), job_(job), id_(l.desc.digest.shortHex()) {}

    Status run();

  private:
    void emit(const std::string& status, int64_t cur = -1, int64_t total = -1) {
        job_.emit(ProgressEvent{id_, status, cur, total});
    }
    // The pull that started this job failed and nobody else waits for the layer.
    bool stop() { return env_.cancelled.load() && job_.watcherCount() <= 1; }
    Status download(ContentStore::Writer& w, GrowingFile& gf);
    archive::UnpackOptions unpackOptions();

    const FetchEnv& env_;
    const LayerFetch& l_;
    Job& job_;
    std::string id_;
    std::atomic<bool> downloaded_{false};
    std::atomic<int64_t> extracted_{0};
    Throttle extractThrottle_;
    std::mutex extractMu_;
};

archive::UnpackOptions Fetcher::unpackOptions() {
    archive::UnpackOptions o;
    o.onProgress = [this](int64_t consumed) {
        extracted_ = consumed;
        // While the blob still downloads the layer line shows the download; extraction shows
        // once the download is complete (docker's order).
        if (!downloaded_) return;
        std::lock_guard g(extractMu_);
        if (extractThrottle_.due()) emit("Extracting", consumed, l_.desc.size);
    };
    return o;
}

Status Fetcher::download(ContentStore::Writer& w, GrowingFile& gf) {
    const int64_t total = l_.desc.size;
    Throttle throttle;
    for (int attempt = 0;; attempt++) {
        int64_t off = w.offset();
        if (off > total) {
            gf.restarted();
            TRY(w.truncate());
            off = 0;
        }
        if (off == total) return {};  // a resumed ingest that was already complete
        emit("Downloading", off, total);
        auto onStart = [&](bool resumed) -> Status {
            if (!resumed && w.offset() > 0) {
                gf.restarted();
                TRY(w.truncate());
            }
            return {};
        };
        auto sink = [&](const char* data, size_t n) -> Status {
            if (stop() || gf.abandoned()) return makeError(ECANCELED, "download cancelled");
            TRY(w.write(data, n));
            gf.appended(w.offset());
            if (w.offset() > total)
                return Error{EBADMSG,
                             fmt::format("blob {} is larger than its descriptor's {} bytes",
                                         l_.desc.digest.str(), total),
                             true};
            if (throttle.due()) emit("Downloading", w.offset(), total);
            return {};
        };
        auto st = env_.client.fetchBlob(l_.desc.digest, off, onStart, sink);
        if (st) {
            emit("Downloading", w.offset(), total);
            return {};
        }
        if (st.error().code == ERANGE && attempt == 0) {
            gf.restarted();
            TRY(w.truncate());
            continue;
        }
        if (!retriable(st.error()) || attempt >= 3 || stop()) return st;
        int delay = 1 << attempt;
        emit(fmt::format("Retrying in {} second{}", delay, delay == 1 ? "" : "s"));
        std::this_thread::sleep_for(std::chrono::seconds(delay));
    }
}

Status Fetcher::run() {
    const auto& d = l_.desc.digest;
    bool needBlob = !env_.content.has(d);
    bool needLayer = !env_.layers.has(l_.diffId);
    if (!needBlob && !needLayer) {
        emit("Already exists");
        return {};
    }
    if (needBlob) {
        if (env_.slots.wouldWait(l_.index)) emit("Waiting");
        env_.slots.acquire(l_.index);
        struct Release {
            DownloadSlots& s;
            ~Release() { s.release(); }
        } release{env_.slots};
        if (stop()) return makeError(ECANCELED, "pull cancelled");
        // Blocks while another process downloads the same blob (the ingest's flock).
        auto w = TRY_CTX(env_.content.ingest(d.str()), "download {}", d.str());
        if (env_.content.has(d)) {
            w.discard();  // that other process finished it
        } else {
            GrowingFile gf(w.offset());
            UniqueFd rfd;
            std::thread unpacker;
            Status unpacked;
            if (needLayer) {
                rfd = TRY_CTX(sys::open(w.path(), O_RDONLY | O_CLOEXEC), "download {}", d.str());
                unpacker = std::thread([&] {
                    auto r = env_.layers.create(gf.reader(rfd.get()), l_.diffId, unpackOptions());
                    if (!r) {
                        unpacked = std::move(r).error();
                        gf.abandon();
                    }
                });
            }
            auto dl = download(w, gf);
            if (dl) {
                emit("Verifying Checksum");
                auto c = w.commit(d, l_.desc.size);
                if (!c) dl = std::move(c).error();
            }
            if (dl) {
                downloaded_ = true;
                emit("Download complete");
                if (needLayer) emit("Extracting", extracted_.load(), l_.desc.size);
            }
            // The reader sees the end only now, after the blob verified.
            gf.finish(dl);
            if (unpacker.joinable()) unpacker.join();
            if (!dl) {
                // Cancelled (another layer of the pull failed, or this layer's unpack did): the
                // pull is undone, partial data included. A network failure keeps the partial
                // ingest so that the next pull resumes it; a digest mismatch already discarded.
                if (dl.error().code == ECANCELED) w.discard();
                // An unpack that finished before the blob failed verification is not kept.
                if (needLayer && unpacked && env_.layers.has(l_.diffId))
                    (void)env_.layers.remove(l_.diffId);
                if (!unpacked && dl.error().code == ECANCELED)
                    return std::move(unpacked).error().wrap(
                        fmt::format("unpack layer {}", d.str()));
                return std::move(dl).error().wrap(fmt::format("download layer {}", d.str()));
            }
            if (!unpacked)
                return std::move(unpacked).error().wrap(fmt::format("unpack layer {}", d.str()));
            if (needLayer) emit("Extracting", l_.desc.size, l_.desc.size);
            needLayer = false;
        }
    }
    if (needLayer) {
        // The blob is here already (another pull, a load): unpack it from the store.
        downloaded_ = true;
        auto fd = TRY(env_.content.openBlob(d));
        int64_t pos = 0;
        archive::ReadFn rd = [&](void* buf, size_t n) -> Result<size_t> {
            for (;;) {
                ssize_t r = ::pread(fd.get(), buf, n, pos);
                if (r < 0 && errno == EINTR) continue;
                if (r < 0) return errnoError("read blob {}", d.str());
                pos += r;
                return static_cast<size_t>(r);
            }
        };
        emit("Extracting", 0, l_.desc.size);
        TRY_CTX(env_.layers.create(rd, l_.diffId, unpackOptions()), "unpack layer {}", d.str());
        emit("Extracting", l_.desc.size, l_.desc.size);
    }
    emit("Pull complete");
    return {};
}

}  // namespace

bool DownloadSlots::wouldWait(int index) {
    std::lock_guard l(mu_);
    return free_ == 0 || (!waiting_.empty() && *waiting_.begin() < index);
}

void DownloadSlots::acquire(int index) {
    std::unique_lock l(mu_);
    waiting_.insert(index);
    cv_.wait(l, [&] { return free_ > 0 && *waiting_.begin() == index; });
    waiting_.erase(index);
    free_--;
    cv_.notify_all();
}

void DownloadSlots::release() {
    {
        std::lock_guard l(mu_);
        free_++;
    }
    cv_.notify_all();
}

Status fetchLayer(const FetchEnv& env, const LayerFetch& l) {
    auto key = env.content.root() + "|" + l.desc.digest.str();
    for (;;) {
        std::shared_ptr<Job> job;
        bool mine = false;
        {
            std::lock_guard g(g_jobsMu);
            auto& j = jobs()[key];
            if (!j) {
                j = std::make_shared<Job>();
                mine = true;
            }
            job = j;
            std::lock_guard jl(job->mu);
            job->watchers.push_back(&env.progress);
        }
        if (!mine) {
            // Follow the other pull's fetch, then look again (it may have needed less).
            std::unique_lock jl(job->mu);
            while (!job->done) {
                if (env.cancelled) {
                    std::erase(job->watchers, &env.progress);
                    return makeError(ECANCELED, "pull cancelled");
                }
                job->cv.wait_for(jl, std::chrono::milliseconds(200));
            }
            std::erase(job->watchers, &env.progress);
            if (!job->result) return job->result;
            if (env.content.has(l.desc.digest) && env.layers.has(l.diffId)) return {};
            continue;
        }
        Status s = Fetcher(env, l, *job).run();
        {
            std::lock_guard g(g_jobsMu);
            jobs().erase(key);
        }
        {
            std::lock_guard jl(job->mu);
            std::erase(job->watchers, &env.progress);
            job->done = true;
            job->result = s;
        }
        job->cv.notify_all();
        return s;
    }
}

}  // namespace berth::image::registry
