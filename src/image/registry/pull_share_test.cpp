// Service::pull against a fake registry in this process: two concurrent pulls of one image
// share the layer download; a blob that does not match its digest leaves nothing behind.
#include <arpa/inet.h>
#include <dirent.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <map>
#include <mutex>
#include <thread>

#include "common/sys.h"
#include "image/archive/archive.h"
#include "image/media.h"
#include "image/service.h"

namespace berth::image {
namespace {

// Serves fixed bodies by path, one request per connection, bodies in slow 64 KiB steps.
class FakeRegistry {
  public:
    struct Route {
        std::string body, contentType;
        int msPerChunk = 0;
    };

    FakeRegistry() {
        fd_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        sockaddr_in a{};
        a.sin_family = AF_INET;
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        EXPECT_EQ(bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
        EXPECT_EQ(listen(fd_, 16), 0);
        socklen_t len = sizeof a;
        getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len);
        port_ = ntohs(a.sin_port);
        accept_ = std::thread([this] { loop(); });
    }
    ~FakeRegistry() {
        stop_ = true;
        shutdown(fd_, SHUT_RDWR);
        accept_.join();
        for (auto& t : conns_) t.join();
        close(fd_);
    }
    int port() const { return port_; }
    void route(const std::string& path, Route r) {
        std::lock_guard l(mu_);
        routes_[path] = std::move(r);
    }
    int hits(const std::string& path) {
        std::lock_guard l(mu_);
        return hits_[path];
    }

  private:
    void loop() {
        while (!stop_) {
            int c = accept4(fd_, nullptr, nullptr, SOCK_CLOEXEC);
            if (c < 0) return;
            conns_.emplace_back([this, c] { serve(c); });
        }
    }
    void serve(int c) {
        std::string req;
        char buf[4096];
        while (req.find("\r\n\r\n") == std::string::npos) {
            ssize_t n = read(c, buf, sizeof buf);
            if (n <= 0) break;
            req.append(buf, static_cast<size_t>(n));
        }
        auto sp1 = req.find(' '), sp2 = req.find(' ', sp1 + 1);
        std::string method = req.substr(0, sp1), path = req.substr(sp1 + 1, sp2 - sp1 - 1);
        Route r;
        bool found;
        {
            std::lock_guard l(mu_);
            hits_[path]++;
            found = routes_.count(path) != 0;
            if (found) r = routes_[path];
        }
        std::string head = found ? "HTTP/1.1 200 OK\r\n" : "HTTP/1.1 404 Not Found\r\n";
        if (!found) r.body = R"({"errors":[{"code":"BLOB_UNKNOWN","message":"blob unknown"}]})";
        head += "Content-Length: " + std::to_string(r.body.size()) + "\r\nConnection: close\r\n";
        if (!r.contentType.empty()) head += "Content-Type: " + r.contentType + "\r\n";
        head += "\r\n";
        (void)!write(c, head.data(), head.size());
        if (method != "HEAD") {
            for (size_t off = 0; off < r.body.size(); off += 65536) {
                size_t n = std::min<size_t>(65536, r.body.size() - off);
                if (write(c, r.body.data() + off, n) < 0) break;
                if (r.msPerChunk)
                    std::this_thread::sleep_for(std::chrono::milliseconds(r.msPerChunk));
            }
        }
        close(c);
    }

    int fd_ = -1, port_ = 0;
    std::atomic<bool> stop_{false};
    std::thread accept_;
    std::vector<std::thread> conns_;
    std::mutex mu_;
    std::map<std::string, Route> routes_;
    std::map<std::string, int> hits_;
};

class Recorder final : public Progress {
  public:
    void emit(const ProgressEvent& e) override {
        std::lock_guard l(mu_);
        events.push_back(e);
    }
    bool saw(const std::string& id, const std::string& status) {
        std::lock_guard l(mu_);
        for (auto& e : events)
            if (e.id == id && e.status == status) return true;
        return false;
    }
    std::mutex mu_;
    std::vector<ProgressEvent> events;
};

std::vector<std::string> dirNames(const std::string& d) {
    std::vector<std::string> out;
    if (DIR* dp = opendir(d.c_str())) {
        while (auto* e = readdir(dp))
            if (e->d_name[0] != '.') out.push_back(e->d_name);
        closedir(dp);
    }
    return out;
}

class PullTest : public ::testing::Test {
  protected:
    void SetUp() override {
        if (geteuid() != 0) GTEST_SKIP() << "needs root (unpacks with ownership)";
        char tmpl[] = "/tmp/berth-pull-XXXXXX";
        ASSERT_NE(mkdtemp(tmpl), nullptr);
        tmp_ = tmpl;
        // A one-file layer of ~1.5 MiB of incompressible bytes.
        ASSERT_TRUE(sys::mkdirAll(tmp_ + "/src/data", 0755));
        std::string payload;
        uint64_t x = 88172645463325252ull;
        for (int i = 0; i < (3 << 19); i++) {
            x ^= x << 13, x ^= x >> 7, x ^= x << 17;
            payload += static_cast<char>(x);
        }
        ASSERT_TRUE(sys::writeFile(tmp_ + "/src/data/f", payload, O_WRONLY | O_CREAT, 0644));
        auto tar = archive::writeTar(
            tmp_ + "/src",
            [&](const void* p, size_t n) -> Status {
                layer_.append(static_cast<const char*>(p), n);
                return {};
            },
            archive::Compression::Gzip);
        ASSERT_TRUE(tar) << tar.error().str();
        diffId_ = tar->diffId;
        layerDigest_ = sha256Of(layer_);

        ImageConfig cfg;
        cfg.created = "2024-01-01T00:00:00Z";
        cfg.diffIds = {diffId_};
        auto cfgText = toJson(cfg);
        Manifest m;
        m.mediaType = media::kOciManifest;
        m.config = Descriptor{std::string(media::kOciConfig), sha256Of(cfgText),
                              static_cast<int64_t>(cfgText.size())};
        m.layers = {Descriptor{std::string(media::kOciLayerGzip), layerDigest_,
                               static_cast<int64_t>(layer_.size())}};
        auto manText = toJson(m);
        reg_.route("/v2/x/manifests/1", {manText, std::string(media::kOciManifest)});
        reg_.route("/v2/x/blobs/" + m.config.digest.str(), {cfgText, "application/octet-stream"});
        ServiceOptions o;
        o.root = tmp_ + "/root";
        o.authFile = tmp_ + "/auth.json";
        auto s = Service::open(o);
        ASSERT_TRUE(s) << s.error().str();
        svc_ = std::move(*s);
        ref_ = "127.0.0.1:" + std::to_string(reg_.port()) + "/x:1";
    }
    void TearDown() override {
        svc_.reset();
        if (!tmp_.empty()) (void)sys::removeAll(tmp_);
    }

    FakeRegistry reg_;
    std::string tmp_, layer_, ref_;
    Digest diffId_, layerDigest_;
    std::unique_ptr<Service> svc_;
};

TEST_F(PullTest, ConcurrentPullsShareOneDownload) {
    reg_.route("/v2/x/blobs/" + layerDigest_.str(), {layer_, "application/octet-stream", 15});
    Recorder p1, p2;
    Result<Image> r1 = invalid("not run"), r2 = invalid("not run");
    std::thread t1([&] { r1 = svc_->pull(ref_, p1); });
    // The second starts while the first is downloading (the blob takes ~0.4 s to serve).
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    std::thread t2([&] { r2 = svc_->pull(ref_, p2); });
    t1.join();
    t2.join();
    ASSERT_TRUE(r1) << r1.error().str();
    ASSERT_TRUE(r2) << r2.error().str();
    EXPECT_EQ(r1->id, r2->id);
    EXPECT_EQ(reg_.hits("/v2/x/blobs/" + layerDigest_.str()), 1);
    auto id = layerDigest_.shortHex();
    EXPECT_TRUE(p1.saw(id, "Pull complete"));
    // The second pull followed the shared download's progress.
    EXPECT_TRUE(p2.saw(id, "Pull complete"));
    EXPECT_TRUE(p2.saw(id, "Downloading"));
    EXPECT_TRUE(svc_->layers().has(diffId_));
    EXPECT_TRUE(dirNames(tmp_ + "/root/content/ingest").empty());

    // Everything is here now: a third pull transfers no layer.
    Recorder p3;
    ASSERT_TRUE(svc_->pull(ref_, p3));
    EXPECT_EQ(reg_.hits("/v2/x/blobs/" + layerDigest_.str()), 1);
    EXPECT_TRUE(p3.saw("", "Status: Image is up to date for " + ref_));
}

TEST_F(PullTest, BlobWithWrongDigestLeavesNothing) {
    std::string bad = layer_;
    bad[bad.size() / 2] ^= 0x55;
    reg_.route("/v2/x/blobs/" + layerDigest_.str(), {bad, "application/octet-stream"});
    Recorder p;
    auto r = svc_->pull(ref_, p);
    ASSERT_FALSE(r);
    EXPECT_NE(r.error().msg.find(layerDigest_.str()), std::string::npos) << r.error().str();
    EXPECT_TRUE(dirNames(tmp_ + "/root/content/sha256").empty());
    EXPECT_TRUE(dirNames(tmp_ + "/root/content/ingest").empty());
    EXPECT_FALSE(svc_->layers().has(diffId_));
    for (auto& n : dirNames(tmp_ + "/root/layers"))
        EXPECT_EQ(n.rfind("tmp-", 0), std::string::npos);
    EXPECT_TRUE(svc_->list().empty());
}

}  // namespace
}  // namespace berth::image
