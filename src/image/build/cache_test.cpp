#include "image/build/cache.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include "common/sys.h"
#include "image/build/history_text.h"

namespace berth::image::build {
namespace {

CacheKeyInput base() {
    CacheKeyInput k;
    k.parentId = "sha256:" + std::string(64, 'a');
    k.createdBy = "/bin/sh -c echo hi";
    k.config.env = {"PATH=/bin"};
    return k;
}

TEST(BuildCache, KeyCoversEveryInput) {
    std::string k0 = cacheKey(base());
    EXPECT_EQ(k0, cacheKey(base()));  // deterministic
    EXPECT_EQ(k0.size(), 64u);
    auto k = base();
    k.parentId = "sha256:" + std::string(64, 'b');
    EXPECT_NE(cacheKey(k), k0);
    k = base();
    k.parentId = "";
    EXPECT_NE(cacheKey(k), k0);
    k = base();
    k.createdBy = "/bin/sh -c echo ho";
    EXPECT_NE(cacheKey(k), k0);
    k = base();
    k.config.env.push_back("A=1");
    EXPECT_NE(cacheKey(k), k0);
    k = base();
    k.config.cmd = std::vector<std::string>{"sh"};
    EXPECT_NE(cacheKey(k), k0);
    k = base();
    k.author = "me";
    EXPECT_NE(cacheKey(k), k0);
    k = base();
    k.inputs = "file:abc";
    EXPECT_NE(cacheKey(k), k0);
    // Field boundaries matter: moving text from one field to the next changes the key.
    auto a = base(), b = base();
    a.createdBy = "x";
    a.author = "yz";
    b.createdBy = "xy";
    b.author = "z";
    EXPECT_NE(cacheKey(a), cacheKey(b));
}

TEST(BuildCache, StoreLookupRemove) {
    char tmpl[] = "/tmp/berth-cache-test-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    std::string dir = tmpl;
    BuildCache c(dir);
    std::string key = cacheKey(base());
    EXPECT_FALSE(c.lookup(key));
    std::string id = "sha256:" + std::string(64, 'c');
    ASSERT_TRUE(c.store(key, id));
    EXPECT_EQ(c.lookup(key), id);
    ASSERT_TRUE(sys::writeFile(dir + "/index/" + key, "garbage"));
    EXPECT_FALSE(c.lookup(key));  // not an image ID: a miss
    ASSERT_TRUE(c.remove(key));
    EXPECT_FALSE(c.lookup(key));
    ASSERT_TRUE(sys::removeAll(dir));
}

TEST(BuildCache, PruneRemovesEveryEntry) {
    char tmpl[] = "/tmp/berth-cache-test-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    std::string dir = tmpl;
    BuildCache c(dir);
    auto empty = c.prune();  // no index yet: nothing to do
    ASSERT_TRUE(empty);
    EXPECT_TRUE(empty->keys.empty());
    CacheKeyInput k1 = base(), k2 = base();
    k2.createdBy = "/bin/sh -c echo other";
    std::string id = "sha256:" + std::string(64, 'c');
    ASSERT_TRUE(c.store(cacheKey(k1), id));
    ASSERT_TRUE(c.store(cacheKey(k2), id));
    auto p = c.prune();
    ASSERT_TRUE(p) << p.error().str();
    EXPECT_EQ(p->keys.size(), 2u);
    EXPECT_EQ(p->bytes, 2 * (id.size() + 1));
    EXPECT_FALSE(c.lookup(cacheKey(k1)));
    EXPECT_FALSE(c.lookup(cacheKey(k2)));
    ASSERT_TRUE(sys::removeAll(dir));
}

TEST(HistoryText, GoFormats) {
    EXPECT_EQ(goQuoteList({"/bin/sh", "-c", "echo \"hi\"\n"}),
              "[\"/bin/sh\" \"-c\" \"echo \\\"hi\\\"\\n\"]");
    EXPECT_EQ(goList({"/data", "/x"}), "[/data /x]");
    EXPECT_EQ(nopComment({"/bin/sh", "-c"}, "CMD [\"sh\"]"), "/bin/sh -c #(nop)  CMD [\"sh\"]");
    EXPECT_EQ(nopCommentString({"/bin/sh", "-c"}, "WORKDIR /app"),
              "/bin/sh -c #(nop) WORKDIR /app");
    EXPECT_EQ(goDuration(0), "0s");
    EXPECT_EQ(goDuration(30'000'000'000), "30s");
    EXPECT_EQ(goDuration(90'000'000'000), "1m30s");
    EXPECT_EQ(goDuration(1'500'000'000), "1.5s");
    EXPECT_EQ(goDuration(3'600'000'000'000), "1h0m0s");
    EXPECT_EQ(goDuration(100'000'000), "100ms");
    EXPECT_EQ(*parseGoDuration("1m30s"), 90'000'000'000);
    EXPECT_EQ(*parseGoDuration("1.5h"), 5'400'000'000'000);
    EXPECT_EQ(*parseGoDuration("100ms"), 100'000'000);
    EXPECT_EQ(*parseGoDuration("0"), 0);
    EXPECT_FALSE(parseGoDuration("10"));
    EXPECT_FALSE(parseGoDuration("1x"));
    EXPECT_FALSE(parseGoDuration(""));
    HealthConfig h;
    h.test = {"CMD-SHELL", "true"};
    h.interval = 5'000'000'000;
    h.retries = 3;
    EXPECT_EQ(healthcheckText(h),
              "&{[\"CMD-SHELL\" \"true\"] \"5s\" \"0s\" \"0s\" \"0s\" '\\x03'}");
}

}  // namespace
}  // namespace berth::image::build
