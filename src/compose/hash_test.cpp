#include "compose/hash.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace berth::compose {
namespace {

using nlohmann::json;

json web() {
    return json::parse(R"({"image": "nginx:1.27", "scale": 1,
        "environment": {"A": "1", "B": null},
        "ports": [{"mode": "ingress", "target": 80, "published": "8080", "protocol": "tcp"}],
        "networks": {"default": null}})");
}

TEST(ConfigHash, Sha256HexOfCanonicalJson) {
    // The hash of {} is sha256("{}").
    EXPECT_EQ(configHash(json::object()),
              "44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a");
    std::string h = configHash(web());
    EXPECT_EQ(h.size(), 64u);
    EXPECT_EQ(h.find_first_not_of("0123456789abcdef"), std::string::npos);
}

TEST(ConfigHash, StableAcrossKeyOrder) {
    json b = json::parse(R"({"networks": {"default": null},
        "ports": [{"protocol": "tcp", "published": "8080", "target": 80, "mode": "ingress"}],
        "environment": {"B": null, "A": "1"}, "scale": 1, "image": "nginx:1.27"})");
    EXPECT_EQ(configHash(web()), configHash(b));
}

TEST(ConfigHash, ChangesOnRealChange) {
    json b = web();
    b["environment"]["A"] = "2";
    EXPECT_NE(configHash(web()), configHash(b));
    b = web();
    b["image"] = "nginx:1.28";
    EXPECT_NE(configHash(web()), configHash(b));
    b = web();
    b["deploy"] = {{"replicas", 2}, {"resources", {{"limits", {{"memory", 1 << 20}}}}}};
    EXPECT_NE(configHash(web()), configHash(b));
}

TEST(ConfigHash, UnchangedOnScaleBuildAndFriends) {
    json b = web();
    b["scale"] = 5;
    b["deploy"] = {{"replicas", 5}};
    b["build"] = {{"context", "/src"}, {"dockerfile", "Dockerfile"}};
    b["pull_policy"] = "always";
    b["profiles"] = {"debug"};
    b["depends_on"] = {{"db", {{"condition", "service_started"}}}};
    EXPECT_EQ(configHash(web()), configHash(b));

    // replicas next to other deploy settings: only the replicas are ignored.
    json c = web(), d = web();
    c["deploy"] = {{"replicas", 1}, {"labels", {{"x", "y"}}}};
    d["deploy"] = {{"replicas", 3}, {"labels", {{"x", "y"}}}};
    EXPECT_EQ(configHash(c), configHash(d));
}

}  // namespace
}  // namespace berth::compose
