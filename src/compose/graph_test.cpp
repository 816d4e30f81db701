#include "compose/graph.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace berth::compose {
namespace {

using nlohmann::json;
using V = std::vector<std::string>;

json dep(const char* condition = "service_started", bool required = true, bool restart = false) {
    return {{"condition", condition}, {"required", required}, {"restart", restart}};
}

// web -> api -> db, web -> cache, worker -> db; lone has nothing.
json sample() {
    return {{"services",
             {{"web", {{"depends_on", {{"api", dep()}, {"cache", dep()}}}}},
              {"api", {{"depends_on", {{"db", dep("service_healthy", true, true)}}}}},
              {"db", json::object()},
              {"cache", json::object()},
              {"worker", {{"depends_on", {{"db", dep()}}}}},
              {"lone", json::object()}}}};
}

TEST(Graph, StartOrderAllDepsFirstTiesByName) {
    auto r = startOrder(sample(), {}, false);
    ASSERT_TRUE(r) << r.error().str();
    EXPECT_EQ(*r, (V{"cache", "db", "api", "lone", "web", "worker"}));
}

TEST(Graph, StartOrderSelectedWithAndWithoutDeps) {
    auto r = startOrder(sample(), {"web"}, true);
    ASSERT_TRUE(r) << r.error().str();
    EXPECT_EQ(*r, (V{"cache", "db", "api", "web"}));
    r = startOrder(sample(), {"web", "db"}, false);
    ASSERT_TRUE(r);
    EXPECT_EQ(*r, (V{"db", "web"}));
}

TEST(Graph, UnknownSelectedService) {
    auto r = startOrder(sample(), {"nope"}, true);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().msg, "no such service: nope");
}

TEST(Graph, Levels) {
    auto r = startLevels(sample(), {}, false);
    ASSERT_TRUE(r) << r.error().str();
    EXPECT_EQ(*r, (std::vector<V>{{"cache", "db", "lone"}, {"api", "worker"}, {"web"}}));
    r = startLevels(sample(), {"worker"}, true);
    ASSERT_TRUE(r);
    EXPECT_EQ(*r, (std::vector<V>{{"db"}, {"worker"}}));
}

TEST(Graph, StopOrderIsReverseAndTakesDependents) {
    auto r = stopOrder(sample(), {}, false);
    ASSERT_TRUE(r) << r.error().str();
    EXPECT_EQ(*r, (V{"worker", "web", "lone", "api", "db", "cache"}));
    r = stopOrder(sample(), {"db"}, true);
    ASSERT_TRUE(r);
    EXPECT_EQ(*r, (V{"worker", "web", "api", "db"}));
    r = stopOrder(sample(), {"db"}, false);
    ASSERT_TRUE(r);
    EXPECT_EQ(*r, (V{"db"}));
}

TEST(Graph, CycleNamed) {
    json m = {{"services",
               {{"a", {{"depends_on", {{"b", dep()}}}}},
                {"b", {{"depends_on", {{"c", dep()}}}}},
                {"c", {{"depends_on", {{"a", dep()}}}}},
                {"d", json::object()}}}};
    auto r = startOrder(m, {"d"}, true);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().msg, "dependency cycle detected: a -> b -> c -> a");
    m = {{"services", {{"a", {{"depends_on", {{"a", dep()}}}}}}}};
    auto r2 = startLevels(m, {}, false);
    ASSERT_FALSE(r2);
    EXPECT_EQ(r2.error().msg, "dependency cycle detected: a -> a");
}

TEST(Graph, MissingDependency) {
    json m = {{"services", {{"a", {{"depends_on", {{"ghost", dep()}}}}}}}};
    auto r = startOrder(m, {}, true);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().msg, "service \"a\" depends on undefined service \"ghost\"");
    m["services"]["a"]["depends_on"]["ghost"]["required"] = false;
    r = startOrder(m, {}, true);
    ASSERT_TRUE(r) << r.error().str();
    EXPECT_EQ(*r, (V{"a"}));
}

TEST(Graph, ImplicitDependencies) {
    json m = {{"services",
               {{"app", {{"network_mode", "service:vpn"}, {"volumes_from", {"data:ro"}}}},
                {"sidecar", {{"volumes_from", {"service:app", "container:other"}}}},
                {"vpn", json::object()},
                {"data", json::object()}}}};
    auto r = startOrder(m, {"sidecar"}, true);
    ASSERT_TRUE(r) << r.error().str();
    EXPECT_EQ(*r, (V{"data", "vpn", "app", "sidecar"}));
    auto d = serviceDependencies(m, "app");
    ASSERT_TRUE(d);
    EXPECT_EQ(*d, (V{"data", "vpn"}));
    EXPECT_EQ(dependents(m, "vpn"), (V{"app"}));

    m["services"]["app"]["network_mode"] = "service:gone";
    auto e = startOrder(m, {}, false);
    ASSERT_FALSE(e);
    EXPECT_EQ(e.error().msg, "service \"app\" uses the network of undefined service \"gone\"");
    m["services"]["app"]["network_mode"] = "host";
    m["services"]["app"]["volumes_from"] = {"gone"};
    e = startOrder(m, {}, false);
    ASSERT_FALSE(e);
    EXPECT_EQ(e.error().msg, "service \"app\" takes volumes from undefined service \"gone\"");
}

TEST(Graph, Dependents) {
    EXPECT_EQ(dependents(sample(), "db"), (V{"api", "worker"}));
    EXPECT_EQ(dependents(sample(), "web"), V{});
    EXPECT_EQ(restartDependents(sample(), "db"), (V{"api"}));
    EXPECT_EQ(restartDependents(sample(), "cache"), V{});
}

TEST(Graph, EmptyModel) {
    auto r = startOrder(json{{"services", json::object()}}, {}, true);
    ASSERT_TRUE(r);
    EXPECT_TRUE(r->empty());
}

}  // namespace
}  // namespace berth::compose
