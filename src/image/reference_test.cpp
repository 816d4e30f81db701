#include "image/reference.h"

#include <gtest/gtest.h>

#include "image/digest.h"
#include "image/manifest.h"

using namespace berth::image;

TEST(Reference, NormalisesLikeDocker) {
    auto r = Reference::parse("busybox");
    ASSERT_TRUE(r) << r.error().str();
    EXPECT_EQ(r->str(), "docker.io/library/busybox:latest");
    EXPECT_EQ(r->familiar(), "busybox:latest");
    EXPECT_EQ(r->registryHost(), "registry-1.docker.io");

    r = Reference::parse("user/app:1.2");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->str(), "docker.io/user/app:1.2");
    EXPECT_EQ(r->familiar(), "user/app:1.2");

    r = Reference::parse("localhost:5000/x");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->domain, "localhost:5000");
    EXPECT_EQ(r->path, "x");
    EXPECT_EQ(r->tag, "latest");
    EXPECT_EQ(r->familiar(), "localhost:5000/x:latest");

    r = Reference::parse("localhost/x/y:t");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->domain, "localhost");
    EXPECT_EQ(r->path, "x/y");

    r = Reference::parse("127.0.0.1:5000/a/b-c_d.e:v1.0-rc");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->name(), "127.0.0.1:5000/a/b-c_d.e");
    EXPECT_EQ(r->tag, "v1.0-rc");

    r = Reference::parse("index.docker.io/library/alpine");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->familiar(), "alpine:latest");
}

TEST(Reference, Digests) {
    std::string hex(64, 'a');
    auto r = Reference::parse("busybox@sha256:" + hex);
    ASSERT_TRUE(r);
    EXPECT_TRUE(r->tag.empty());
    EXPECT_EQ(r->digest, "sha256:" + hex);
    EXPECT_EQ(r->familiar(), "busybox@sha256:" + hex);
    r = Reference::parse("busybox:1@sha256:" + hex);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->tag, "1");
    EXPECT_FALSE(Reference::parse("busybox@sha256:abc"));
    EXPECT_FALSE(Reference::parse("busybox@md5:" + hex));
}

TEST(Reference, RejectsBadInput) {
    for (auto bad : {"", "Busybox", "a//b", ":tag", "x:", "x:-bad", "-x", "a/b:c:d",
                     "x@", "registry:5000/UP"}) {
        auto r = Reference::parse(bad);
        EXPECT_FALSE(r) << bad;
        if (!r) {
            EXPECT_NE(r.error().msg.find("invalid reference format"), std::string::npos);
        }
    }
    auto r = Reference::parse("Busybox");
    ASSERT_FALSE(r);
    EXPECT_NE(r.error().msg.find("lowercase"), std::string::npos) << r.error().msg;
}

TEST(Reference, LooksLikeId) {
    EXPECT_TRUE(looksLikeId("abc123"));
    EXPECT_TRUE(looksLikeId("sha256:" + std::string(64, 'f')));
    EXPECT_FALSE(looksLikeId("busybox"));
    EXPECT_FALSE(looksLikeId(std::string(65, 'a')));
}

TEST(Digest, ParseAndHash) {
    EXPECT_EQ(sha256Of("").str(),
              "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    Sha256 h;
    h.update("ab");
    h.update("c");
    EXPECT_EQ(h.finish(), sha256Of("abc"));
    EXPECT_TRUE(Digest::parse(sha256Of("x").str()));
    EXPECT_FALSE(Digest::parse("sha256:" + std::string(64, 'A')));
    EXPECT_FALSE(Digest::parse("sha512:" + std::string(64, 'a')));
}

TEST(Manifest, RoundTripsAndPicksPlatform) {
    Manifest m;
    m.mediaType = "application/vnd.oci.image.manifest.v1+json";
    m.config = {"application/vnd.oci.image.config.v1+json", sha256Of("c"), 1};
    m.layers.push_back({"application/vnd.oci.image.layer.v1.tar+gzip", sha256Of("l"), 5});
    auto text = toJson(m);
    auto back = parseManifest(text);
    ASSERT_TRUE(back) << back.error().str();
    EXPECT_EQ(toJson(*back), text);
    EXPECT_EQ(*sniffMediaType(text), m.mediaType);

    Index idx;
    Descriptor arm{"application/vnd.oci.image.manifest.v1+json", sha256Of("arm"), 3};
    arm.platform = Platform{"arm64", "linux", "v8", ""};
    Descriptor amd{"application/vnd.oci.image.manifest.v1+json", sha256Of("amd"), 3};
    amd.platform = Platform{"amd64", "linux", "", ""};
    idx.manifests = {arm, amd};
    auto pi = parseIndex(toJson(idx));
    ASSERT_TRUE(pi);
    auto pick = pickPlatform(*pi);
    ASSERT_TRUE(pick);
    EXPECT_EQ(pick->digest, amd.digest);
    idx.manifests = {arm};
    auto none = pickPlatform(idx);
    ASSERT_FALSE(none);
    EXPECT_NE(none.error().msg.find("linux/arm64/v8"), std::string::npos);

    EXPECT_FALSE(parseManifest("{\"schemaVersion\":1}"));
    EXPECT_FALSE(parseManifest("not json"));
}

TEST(Manifest, ImageConfigKeepsDockerFields) {
    ImageConfig c;
    c.created = "2026-01-01T00:00:00Z";
    c.config.env = {"PATH=/bin"};
    c.config.cmd = std::vector<std::string>{"sh"};
    c.config.exposedPorts["80/tcp"] = {};
    c.config.healthcheck = HealthConfig{{"CMD", "true"}, 1000, 2000, 0, 0, 3};
    c.config.labels["a"] = "b";
    c.diffIds = {sha256Of("l")};
    c.history.push_back({"2026-01-01T00:00:00Z", "/bin/sh -c #(nop)  CMD [\"sh\"]", "", "", true});
    auto text = toJson(c);
    auto back = parseImageConfig(text);
    ASSERT_TRUE(back);
    EXPECT_EQ(toJson(*back), text);
    EXPECT_NE(text.find("\"ExposedPorts\":{\"80/tcp\":{}}"), std::string::npos);
    EXPECT_NE(text.find("\"empty_layer\":true"), std::string::npos);
    EXPECT_NE(text.find("\"diff_ids\""), std::string::npos);
}
