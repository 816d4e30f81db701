#include "compose/merge.h"

#include <gtest/gtest.h>

namespace berth::compose {
namespace {

using nlohmann::json;

YamlDoc doc(std::string_view text, const std::string& file) {
    auto r = parseYamlDoc(text, file);
    EXPECT_TRUE(r.ok()) << r.error().msg;
    return r.ok() ? std::move(r.value()) : YamlDoc{};
}

YamlDoc mergeAll(std::initializer_list<std::pair<std::string_view, std::string>> files) {
    YamlDoc out;
    for (const auto& [text, name] : files) mergeDocs(out, doc(text, name));
    return out;
}

TEST(Merge, ScalarsReplacedMapsMergedCommandReplaced) {
    YamlDoc m = mergeAll({{R"(services:
  web:
    image: nginx
    command: ["a", "b"]
    restart: always
    healthcheck:
      test: ["CMD", "x"]
      interval: 5s
)",
                           "a.yml"},
                          {R"(services:
  web:
    image: nginx:2
    command: c
    healthcheck:
      test: ["CMD", "y"]
  db:
    image: pg
)",
                           "b.yml"}});
    const json& web = m.value["services"]["web"];
    EXPECT_EQ(web["image"], "nginx:2");
    EXPECT_EQ(web["command"], "c");
    EXPECT_EQ(web["restart"], "always");
    EXPECT_EQ(web["healthcheck"]["test"], json({"CMD", "y"}));
    EXPECT_EQ(web["healthcheck"]["interval"], "5s");
    EXPECT_EQ(m.value["services"]["db"]["image"], "pg");
    // Marks follow the file that supplied the value.
    EXPECT_EQ(m.marks["/services/web/image"].file, "b.yml");
    EXPECT_EQ(m.marks["/services/web/restart"].file, "a.yml");
    EXPECT_EQ(m.marks["/services/web/healthcheck/test/1"].file, "b.yml");
    EXPECT_EQ(m.marks["/services/db/image"].file, "b.yml");
    EXPECT_EQ(m.marks["/services/db/image"].line, 8);
}

TEST(Merge, MapLikeListsBecomeMaps) {
    YamlDoc m = mergeAll({{R"(services:
  web:
    environment: ["A=1", "B=2", "C"]
    labels: {x: "1"}
    build:
      args: ["V=1"]
    sysctls: ["net.core.somaxconn=1024"]
)",
                           "a.yml"},
                          {R"(services:
  web:
    environment:
      B: "3"
      D: ""
    labels: ["y=2"]
    build:
      args: {W: 2}
    sysctls: {net.ipv4.ip_forward: 1}
)",
                           "b.yml"}});
    const json& web = m.value["services"]["web"];
    EXPECT_EQ(web["environment"], json({{"A", "1"}, {"B", "3"}, {"C", nullptr}, {"D", ""}}));
    EXPECT_EQ(web["labels"], json({{"x", "1"}, {"y", "2"}}));
    EXPECT_EQ(web["build"]["args"], json({{"V", "1"}, {"W", 2}}));
    EXPECT_EQ(web["sysctls"]["net.core.somaxconn"], "1024");
    EXPECT_EQ(web["sysctls"]["net.ipv4.ip_forward"], 1);
    EXPECT_EQ(m.marks["/services/web/environment/A"].line, 3);
    EXPECT_EQ(m.marks["/services/web/environment/A"].file, "a.yml");
    EXPECT_EQ(m.marks["/services/web/environment/B"].file, "b.yml");
    EXPECT_EQ(m.marks["/services/web/labels/y"].file, "b.yml");
}

TEST(Merge, UniqueListsByKey) {
    YamlDoc m = mergeAll({{R"(services:
  web:
    ports: ["8080:80", "443", {target: 53, published: "53", protocol: udp}]
    volumes: ["data:/data", "./a:/a:ro"]
    secrets: [s1, {source: s2, target: /run/secrets/custom}]
    expose: [80, "81"]
    dns: 8.8.8.8
    cap_add: [NET_ADMIN]
    env_file: [a.env]
)",
                           "a.yml"},
                          {R"(services:
  web:
    ports: ["9090:80", "8080:80", "53:53/udp", "127.0.0.1:8080:80"]
    volumes: [{type: bind, source: ./b, target: /a}, /tmp]
    secrets: [{source: s1, mode: 0400}, s3]
    expose: ["80", 82]
    dns: [1.1.1.1, 8.8.8.8]
    cap_add: [NET_ADMIN, SYS_TIME]
    env_file: [{path: a.env, required: false}, b.env]
)",
                           "b.yml"}});
    const json& web = m.value["services"]["web"];
    EXPECT_EQ(web["ports"], json({"8080:80", "443", "53:53/udp", "9090:80", "127.0.0.1:8080:80"}));
    ASSERT_EQ(web["volumes"].size(), 3u);
    EXPECT_EQ(web["volumes"][0], "data:/data");
    EXPECT_EQ(web["volumes"][1]["source"], "./b");  // replaced in place (same target)
    EXPECT_EQ(web["volumes"][2], "/tmp");
    ASSERT_EQ(web["secrets"].size(), 3u);
    EXPECT_EQ(web["secrets"][0]["mode"], 0400);
    EXPECT_EQ(web["secrets"][1]["target"], "/run/secrets/custom");
    EXPECT_EQ(web["secrets"][2], "s3");
    EXPECT_EQ(web["expose"], json({"80", "81", 82}));
    EXPECT_EQ(web["dns"], json({"8.8.8.8", "1.1.1.1"}));
    EXPECT_EQ(web["cap_add"], json({"NET_ADMIN", "SYS_TIME"}));
    EXPECT_EQ(web["env_file"], json({{{"path", "a.env"}, {"required", false}}, "b.env"}));
    // The replaced volume carries the second file's mark; the kept one the first's.
    EXPECT_EQ(m.marks["/services/web/volumes/1/source"].file, "b.yml");
    EXPECT_EQ(m.marks["/services/web/volumes/0"].file, "a.yml");
    EXPECT_EQ(m.marks["/services/web/ports/4"].file, "b.yml");
    EXPECT_EQ(m.marks["/services/web/ports/4"].line, 3);
}

TEST(Merge, DependsOnNetworksBuildLogging) {
    YamlDoc m = mergeAll({{R"(services:
  web:
    build: ./app
    depends_on: [db]
    networks: [front]
    logging:
      driver: json-file
      options: {max-size: 1m}
  api:
    logging:
      driver: json-file
      options: {max-size: 1m}
)",
                           "a.yml"},
                          {R"(services:
  web:
    build:
      dockerfile: Dockerfile.dev
    depends_on:
      cache: {condition: service_healthy}
    networks:
      front:
      back: {aliases: [w]}
    logging:
      options: {max-file: "3"}
  api:
    logging:
      driver: syslog
)",
                           "b.yml"}});
    const json& web = m.value["services"]["web"];
    EXPECT_EQ(web["build"], json({{"context", "./app"}, {"dockerfile", "Dockerfile.dev"}}));
    EXPECT_EQ(web["depends_on"]["db"],
              json({{"condition", "service_started"}, {"required", true}}));
    EXPECT_EQ(web["depends_on"]["cache"]["condition"], "service_healthy");
    EXPECT_TRUE(web["networks"]["front"].is_null());
    EXPECT_EQ(web["networks"]["back"]["aliases"], json({"w"}));
    EXPECT_EQ(web["logging"]["options"], json({{"max-size", "1m"}, {"max-file", "3"}}));
    EXPECT_EQ(m.value["services"]["api"]["logging"], json({{"driver", "syslog"}}));
}

TEST(Merge, ResetAndOverrideTags) {
    YamlDoc m = mergeAll({{R"(services:
  web:
    image: nginx
    ports: ["80:80"]
    environment: {A: "1", B: "2"}
    labels: {x: "1"}
)",
                           "a.yml"},
                          {R"(services:
  web:
    ports: !reset []
    environment: !override {C: "3"}
    labels: !reset null
    dns: !reset [1.1.1.1]
)",
                           "b.yml"}});
    const json& web = m.value["services"]["web"];
    EXPECT_FALSE(web.contains("ports"));
    EXPECT_FALSE(web.contains("labels"));
    EXPECT_FALSE(web.contains("dns"));
    EXPECT_EQ(web["environment"], json({{"C", "3"}}));
    EXPECT_EQ(m.marks.count("/services/web/ports/0"), 0u);
    EXPECT_EQ(m.marks["/services/web/environment/C"].file, "b.yml");
}

TEST(Merge, NullChangesNothingAndOtherListsAppend) {
    YamlDoc m =
        mergeAll({{"services:\n  web:\n    image: a\n    ulimits: {nofile: 10}\n"
                   "    post_start: [{command: a}]\n",
                   "a.yml"},
                  {"services:\n  web:\n    image:\n    ulimits: {nofile: {soft: 1, hard: 2}}\n"
                   "    post_start: [{command: b}]\n",
                   "b.yml"}});
    const json& web = m.value["services"]["web"];
    EXPECT_EQ(web["image"], "a");
    EXPECT_EQ(web["ulimits"]["nofile"], json({{"soft", 1}, {"hard", 2}}));
    EXPECT_EQ(web["post_start"].size(), 2u);
}

TEST(Merge, MergeAtForExtends) {
    YamlDoc base = doc("services:\n  base:\n    image: a\n    environment: [X=1]\n", "base.yml");
    YamlDoc local =
        doc("services:\n  web:\n    extends: base\n    environment: {Y: \"2\"}\n", "compose.yml");
    YamlDoc tmp;
    tmp.value = {{"services", {{"web", base.value["services"]["base"]}}}};
    copyMarks(base.marks, "/services/base", tmp.marks, "/services/web");
    mergeAt(tmp, "/services/web", local, "/services/web");
    const json& web = tmp.value["services"]["web"];
    EXPECT_EQ(web["image"], "a");
    EXPECT_EQ(web["environment"], json({{"X", "1"}, {"Y", "2"}}));
    EXPECT_EQ(tmp.marks["/services/web/image"].file, "base.yml");
    EXPECT_EQ(tmp.marks["/services/web/environment/Y"].file, "compose.yml");
}

TEST(Merge, PointerUtilities) {
    EXPECT_EQ(pointerSegments("/a/b~1c/~0d"), (std::vector<std::string>{"a", "b/c", "~d"}));
    EXPECT_TRUE(pointerSegments("").empty());
    json v = {{"a", {{"b", {1, 2, {{"c", 3}}}}}}};
    ASSERT_NE(jsonAt(v, "/a/b/2/c"), nullptr);
    EXPECT_EQ(*jsonAt(v, "/a/b/2/c"), 3);
    EXPECT_EQ(jsonAt(v, "/a/b/3"), nullptr);
    EXPECT_EQ(jsonAt(v, "/a/x"), nullptr);
    EXPECT_EQ(jsonAt(v, ""), &v);
}

}  // namespace
}  // namespace berth::compose
