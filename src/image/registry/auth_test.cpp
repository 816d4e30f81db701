#include "image/registry/auth.h"

#include <gtest/gtest.h>

#include "image/registry/base64.h"
#include "image/registry/client.h"
#include "image/registry/http.h"

namespace berth::image::registry {
namespace {

TEST(WwwAuthenticate, BearerWithQuotedParams) {
    auto cs = parseWwwAuthenticate(
        R"(Bearer realm="https://auth.docker.io/token",service="registry.docker.io",)"
        R"(scope="repository:library/busybox:pull")");
    ASSERT_EQ(cs.size(), 1u);
    EXPECT_EQ(cs[0].scheme, "bearer");
    EXPECT_EQ(cs[0].param("realm"), "https://auth.docker.io/token");
    EXPECT_EQ(cs[0].param("service"), "registry.docker.io");
    EXPECT_EQ(cs[0].param("scope"), "repository:library/busybox:pull");
}

TEST(WwwAuthenticate, BasicAndCaseInsensitiveNames) {
    auto cs = parseWwwAuthenticate(R"(Basic Realm="basic-realm")");
    ASSERT_EQ(cs.size(), 1u);
    EXPECT_EQ(cs[0].scheme, "basic");
    EXPECT_EQ(cs[0].param("realm"), "basic-realm");
}

TEST(WwwAuthenticate, EscapesSpacesAndTokens) {
    auto cs = parseWwwAuthenticate(
        R"(Bearer  realm = "http://x/t?a=\"b\"" , service=reg, error="insufficient_scope")");
    ASSERT_EQ(cs.size(), 1u);
    EXPECT_EQ(cs[0].param("realm"), "http://x/t?a=\"b\"");
    EXPECT_EQ(cs[0].param("service"), "reg");
    EXPECT_EQ(cs[0].param("error"), "insufficient_scope");
}

TEST(WwwAuthenticate, SeveralChallengesInOneHeader) {
    auto cs = parseWwwAuthenticate(R"(Basic realm="a", Bearer realm="http://t/token",service="s")");
    ASSERT_EQ(cs.size(), 2u);
    EXPECT_EQ(cs[0].scheme, "basic");
    EXPECT_EQ(cs[0].param("realm"), "a");
    EXPECT_EQ(cs[1].scheme, "bearer");
    EXPECT_EQ(cs[1].param("realm"), "http://t/token");
    EXPECT_EQ(cs[1].param("service"), "s");
}

TEST(WwwAuthenticate, SchemeWithoutParamsAndGarbage) {
    auto cs = parseWwwAuthenticate("Negotiate");
    ASSERT_EQ(cs.size(), 1u);
    EXPECT_EQ(cs[0].scheme, "negotiate");
    EXPECT_TRUE(cs[0].params.empty());
    EXPECT_TRUE(parseWwwAuthenticate("").empty());
    // An unterminated quote keeps what was parsed before it.
    auto bad = parseWwwAuthenticate(R"(Bearer realm="http://t/token",service="unterminated)");
    ASSERT_EQ(bad.size(), 1u);
    EXPECT_EQ(bad[0].param("realm"), "http://t/token");
    EXPECT_EQ(bad[0].param("service"), "");
}

TEST(Scope, Repository) {
    EXPECT_EQ(repositoryScope("library/busybox", "pull,push"),
              "repository:library/busybox:pull,push");
}

TEST(Authorizer, AnonymousUntilChallengedThenBasic) {
    Credentials c;
    c.username = "alice";
    c.password = "s3cret";
    Authorizer a(c, {repositoryScope("x", "pull")});
    EXPECT_EQ(*a.header(), "");
    HttpResponse r;
    r.status = 401;
    r.headers.emplace_back("www-authenticate", R"(Basic realm="registry")");
    ASSERT_TRUE(*a.onUnauthorized(r));
    EXPECT_EQ(*a.header(), "Authorization: Basic " + base64Encode("alice:s3cret"));
    // The same challenge again: the credentials were refused, retrying cannot help.
    EXPECT_FALSE(*a.onUnauthorized(r));
}

TEST(Authorizer, BasicChallengeWithoutCredentialsIsFinal) {
    Authorizer a(Credentials{}, {});
    HttpResponse r;
    r.status = 401;
    r.headers.emplace_back("www-authenticate", R"(Basic realm="registry")");
    EXPECT_FALSE(*a.onUnauthorized(r));
    EXPECT_EQ(*a.header(), "");
}

TEST(Authorizer, RegistryTokenIsSentAsIs) {
    Credentials c;
    c.registryToken = "tok";
    Authorizer a(c, {});
    EXPECT_EQ(*a.header(), "Authorization: Bearer tok");
}

TEST(Http, ResolveUrlAndMediaType) {
    EXPECT_EQ(resolveUrl("http://h:5000/v2/x/blobs/uploads/", "/v2/x/blobs/uploads/u?_state=1"),
              "http://h:5000/v2/x/blobs/uploads/u?_state=1");
    EXPECT_EQ(resolveUrl("http://h/v2/x/a?q=1", "https://s3/bucket/o"), "https://s3/bucket/o");
    EXPECT_EQ(resolveUrl("http://h/v2/x/a?q=1", "b"), "http://h/v2/x/b");
    EXPECT_EQ(mediaTypeOf("Application/JSON; charset=utf-8"), "application/json");
    EXPECT_EQ(urlEncode("sha256:ab/c d"), "sha256%3Aab%2Fc%20d");
}

TEST(Endpoint, PlainHttpOnlyForLoopbackAndInsecure) {
    EXPECT_EQ(baseUrlFor("127.0.0.1:5000", {}), "http://127.0.0.1:5000");
    EXPECT_EQ(baseUrlFor("localhost:5000", {}), "http://localhost:5000");
    EXPECT_EQ(baseUrlFor("[::1]:5000", {}), "http://[::1]:5000");
    EXPECT_EQ(baseUrlFor("registry-1.docker.io", {}), "https://registry-1.docker.io");
    EXPECT_EQ(baseUrlFor("reg.lan:5000", {"reg.lan:5000"}), "http://reg.lan:5000");
    EXPECT_EQ(baseUrlFor("reg.lan:5001", {"reg.lan:5000"}), "https://reg.lan:5001");
    EXPECT_EQ(baseUrlFor("10.1.2.3:5000", {"10.0.0.0/8"}), "http://10.1.2.3:5000");
    EXPECT_EQ(baseUrlFor("11.1.2.3:5000", {"10.0.0.0/8"}), "https://11.1.2.3:5000");
}

}  // namespace
}  // namespace berth::image::registry
