#include "compose/normalize.h"

#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

namespace berth::compose {
namespace {

using nlohmann::json;
namespace fs = std::filesystem;

class NormalizeTest : public ::testing::Test {
  protected:
    void SetUp() override {
        char tmpl[] = "/tmp/berth-normalize-XXXXXX";
        ASSERT_NE(mkdtemp(tmpl), nullptr);
        dir_ = tmpl;
        env_ = {{"HOME", "/home/me"}, {"FROM_ENV", "env-value"}};
    }
    void TearDown() override { fs::remove_all(dir_); }

    void write(const std::string& rel, const std::string& text) {
        fs::path p = fs::path(dir_) / rel;
        fs::create_directories(p.parent_path());
        std::ofstream(p) << text;
    }

    // Parses `yaml` (with marks, as the loader would) and normalizes it.
    Result<json> run(const std::string& yaml, bool resolvePaths = true) {
        auto doc = parseYamlDoc(yaml, "compose.yaml");
        if (!doc) return doc.error();
        marks_ = doc->marks;
        NormalizeOptions o;
        o.projectName = "demo";
        o.projectDir = dir_;
        o.env = &env_;
        o.resolvePaths = resolvePaths;
        o.marks = &marks_;
        o.fallbackFile = "compose.yaml";
        json model = doc->value;
        TRY(normalizeModel(model, o));
        return model;
    }
    json ok(const std::string& yaml) {
        auto r = run(yaml);
        EXPECT_TRUE(r.ok()) << r.error().msg;
        return r.ok() ? r.value() : json();
    }
    std::string fail(const std::string& yaml) {
        auto r = run(yaml);
        EXPECT_FALSE(r.ok()) << r.value().dump(2);
        return r.ok() ? "" : r.error().msg;
    }

    std::string dir_;
    std::map<std::string, std::string> env_;
    Marks marks_;
};

TEST_F(NormalizeTest, PortsShortAndLong) {
    json m = ok(R"(services:
  web:
    image: nginx
    ports:
      - 80
      - "8080:80"
      - "127.0.0.1:8081:81"
      - "127.0.0.1::82"
      - "53:53/udp"
      - "8000-8002:90-92"
      - "9000-9002:70"
      - "[::1]:7000:70"
      - target: 443
        published: 8443
      - {target: "444", published: "8444", protocol: udp, mode: host}
)");
    const json& p = m["services"]["web"]["ports"];
    ASSERT_EQ(p.size(), 12u) << p.dump();
    EXPECT_EQ(p[0], json({{"mode", "ingress"}, {"target", 80}, {"protocol", "tcp"}}));
    EXPECT_EQ(
        p[1],
        json({{"mode", "ingress"}, {"target", 80}, {"published", "8080"}, {"protocol", "tcp"}}));
    EXPECT_EQ(p[2]["host_ip"], "127.0.0.1");
    EXPECT_EQ(p[2]["published"], "8081");
    EXPECT_EQ(p[3]["host_ip"], "127.0.0.1");
    EXPECT_FALSE(p[3].contains("published"));
    EXPECT_EQ(p[3]["target"], 82);
    EXPECT_EQ(p[4]["protocol"], "udp");
    EXPECT_EQ(p[5]["target"], 90);
    EXPECT_EQ(p[5]["published"], "8000");
    EXPECT_EQ(p[7]["target"], 92);
    EXPECT_EQ(p[7]["published"], "8002");
    EXPECT_EQ(p[8]["published"], "9000-9002");
    EXPECT_EQ(p[8]["target"], 70);
    EXPECT_EQ(p[9]["host_ip"], "::1");
    EXPECT_EQ(
        p[10],
        json({{"mode", "ingress"}, {"target", 443}, {"published", "8443"}, {"protocol", "tcp"}}));
    EXPECT_EQ(
        p[11],
        json({{"mode", "host"}, {"target", 444}, {"published", "8444"}, {"protocol", "udp"}}));
}

TEST_F(NormalizeTest, BadPortNamesFileAndLine) {
    std::string e = fail("services:\n  web:\n    image: x\n    ports:\n      - \"80:abc\"\n");
    EXPECT_EQ(e,
              "compose.yaml:5: services.web.ports.0: invalid port \"80:abc\": \"abc\" is not a "
              "port or a range of ports");
    e = fail("services:\n  web:\n    image: x\n    ports: [\"8000-8002:80-81\"]\n");
    EXPECT_NE(e.find("ranges differ"), std::string::npos) << e;
    e = fail("services:\n  web:\n    image: x\n    ports: [\"80/icmp\"]\n");
    EXPECT_NE(e.find("unknown protocol \"icmp\""), std::string::npos) << e;
    e = fail("services:\n  web:\n    image: x\n    ports: [\"80:80:80\"]\n");
    EXPECT_NE(e.find("invalid port \"80:80:80\": \"80\" is not an IP address"), std::string::npos)
        << e;
    e = fail("services:\n  web:\n    image: x\n    ports:\n      - {target: 80, host_ip: local}\n");
    EXPECT_NE(e.find("host_ip \"local\" is not an IP address"), std::string::npos) << e;
    // Addresses of both families pass, IPv6 also in brackets.
    ok("services:\n  web:\n    image: x\n    ports: [\"[::1]:80:80\", \"::1:81:81\", "
       "\"10.0.0.1:82:82\"]\n");
}

TEST_F(NormalizeTest, Volumes) {
    json m = ok(R"(services:
  web:
    image: nginx
    volumes:
      - data:/data:ro
      - ./html:/usr/share/nginx/html
      - /abs/path:/abs:rw,z
      - ~/cache:/cache
      - /anon
      - data:/nocopy:nocopy
      - type: bind
        source: ./conf
        target: /etc/conf
        read_only: true
      - type: tmpfs
        target: /tmp
        tmpfs: {size: 64m}
      - type: volume
        target: /anon2
volumes:
  data:
)");
    const json& v = m["services"]["web"]["volumes"];
    ASSERT_EQ(v.size(), 9u);
    EXPECT_EQ(
        v[0],
        json({{"type", "volume"}, {"source", "data"}, {"target", "/data"}, {"read_only", true}}));
    EXPECT_EQ(v[1], json({{"type", "bind"},
                          {"source", dir_ + "/html"},
                          {"target", "/usr/share/nginx/html"},
                          {"bind", {{"create_host_path", true}}}}));
    EXPECT_EQ(v[2]["source"], "/abs/path");
    EXPECT_EQ(v[2]["bind"]["selinux"], "z");
    EXPECT_FALSE(v[2].contains("read_only"));
    EXPECT_EQ(v[3]["source"], "/home/me/cache");
    EXPECT_EQ(v[4], json({{"type", "volume"}, {"target", "/anon"}}));
    EXPECT_EQ(v[5]["volume"]["nocopy"], true);
    EXPECT_EQ(v[6]["source"], dir_ + "/conf");
    EXPECT_EQ(v[6]["read_only"], true);
    EXPECT_EQ(v[7]["tmpfs"]["size"], 64 * 1024 * 1024);
    EXPECT_FALSE(v[8].contains("source"));
    EXPECT_EQ(m["volumes"]["data"], json({{"name", "demo_data"}, {"external", false}}));
}

TEST_F(NormalizeTest, UndeclaredVolumeNetworkSecretConfig) {
    EXPECT_EQ(fail("services:\n  web:\n    image: x\n    volumes:\n      - data:/data\n"),
              "compose.yaml:5: service \"web\" refers to undefined volume data: invalid compose "
              "project");
    EXPECT_EQ(fail("services:\n  web:\n    image: x\n    networks: [front]\n"),
              "compose.yaml:4: service \"web\" refers to undefined network front: invalid compose "
              "project");
    EXPECT_EQ(fail("services:\n  web:\n    image: x\n    secrets:\n      - token\n"),
              "compose.yaml:5: service \"web\" refers to undefined secret token: invalid compose "
              "project");
    EXPECT_EQ(fail("services:\n  web:\n    image: x\n    configs: [{source: conf}]\n"),
              "compose.yaml:4: service \"web\" refers to undefined config conf: invalid compose "
              "project");
}

TEST_F(NormalizeTest, EnvironmentAndEnvFiles) {
    write("common.env", "A=from-file\nB=from-file\nINTERP=${FROM_ENV}-x\nBARE_FROM_ENV\n");
    write("more.env", "B=from-more\n");
    json m = ok(R"(services:
  web:
    image: x
    env_file:
      - common.env
      - path: ./more.env
      - path: ./missing.env
        required: false
    environment:
      - A=from-service
      - EMPTY=
      - FROM_ENV
      - NOT_SET
      - NUM=3
)");
    const json& e = m["services"]["web"]["environment"];
    EXPECT_EQ(e["A"], "from-service");  // environment wins over env_file
    EXPECT_EQ(e["B"], "from-more");     // later env_file wins
    EXPECT_EQ(e["INTERP"], "env-value-x");
    EXPECT_EQ(e["BARE_FROM_ENV"], nullptr);  // not in the project env
    EXPECT_EQ(e["EMPTY"], "");
    EXPECT_EQ(e["FROM_ENV"], "env-value");
    EXPECT_TRUE(e["NOT_SET"].is_null());
    EXPECT_EQ(e["NUM"], "3");
    EXPECT_FALSE(m["services"]["web"].contains("env_file"));

    json m2 =
        ok("services:\n  web:\n    image: x\n    env_file: common.env\n"
           "    environment: {N: 1, T: true, U: }\n");
    EXPECT_EQ(m2["services"]["web"]["environment"]["N"], "1");
    EXPECT_EQ(m2["services"]["web"]["environment"]["T"], "true");
    EXPECT_TRUE(m2["services"]["web"]["environment"]["U"].is_null());
    EXPECT_EQ(m2["services"]["web"]["environment"]["A"], "from-file");

    std::string e2 = fail("services:\n  web:\n    image: x\n    env_file: [nope.env]\n");
    EXPECT_EQ(e2,
              "compose.yaml:4: services.web.env_file.0: env file " + dir_ + "/nope.env not found");
}

TEST_F(NormalizeTest, LabelFiles) {
    write("labels.txt", "com.example.a=file\ncom.example.b=file\n");
    json m =
        ok("services:\n  web:\n    image: x\n    label_file: labels.txt\n"
           "    labels: [com.example.b=own]\n");
    EXPECT_EQ(m["services"]["web"]["labels"],
              json({{"com.example.a", "file"}, {"com.example.b", "own"}}));
    EXPECT_FALSE(m["services"]["web"].contains("label_file"));
}

TEST_F(NormalizeTest, BuildCommandEntrypoint) {
    json m = ok(R"(services:
  a:
    build: ./app
    command: sh -c 'echo hi there'
    entrypoint: ""
  b:
    build:
      context: ctx
      dockerfile: Dockerfile.dev
      args: [V=1, FROM_ENV, NOPE]
      labels: {x: 1}
    command: [echo, 1]
    entrypoint: [/bin/tini, --]
  c:
    build: https://github.com/x/y.git
    image: y
)");
    const json& a = m["services"]["a"];
    EXPECT_EQ(a["build"], json({{"context", dir_ + "/app"}, {"dockerfile", "Dockerfile"}}));
    EXPECT_EQ(a["command"], json({"sh", "-c", "echo hi there"}));
    EXPECT_EQ(a["entrypoint"], json::array());
    const json& b = m["services"]["b"];
    EXPECT_EQ(b["build"]["context"], dir_ + "/ctx");
    EXPECT_EQ(b["build"]["dockerfile"], "Dockerfile.dev");
    EXPECT_EQ(b["build"]["args"], json({{"V", "1"}, {"FROM_ENV", "env-value"}, {"NOPE", nullptr}}));
    EXPECT_EQ(b["build"]["labels"], json({{"x", "1"}}));
    EXPECT_EQ(b["command"], json({"echo", "1"}));
    EXPECT_EQ(m["services"]["c"]["build"]["context"], "https://github.com/x/y.git");
    EXPECT_EQ(fail("services:\n  a:\n    command: echo hi\n"),
              "compose.yaml:2: service \"a\" has neither an image nor a build context specified: "
              "invalid compose project");
    std::string e = fail("services:\n  a:\n    image: x\n    command: \"echo 'unterminated\"\n");
    EXPECT_EQ(e.rfind("compose.yaml:4: services.a.command: ", 0), 0u) << e;
}

TEST_F(NormalizeTest, HealthcheckDeployScaleSizes) {
    json m = ok(R"(services:
  a:
    image: x
    healthcheck:
      test: curl -f http://localhost
      interval: 10s
      retries: 3
    deploy:
      replicas: 2
      resources:
        limits: {cpus: 0.5, memory: 512m}
        reservations: {cpus: "0.25", memory: 1g}
    shm_size: 64m
    mem_limit: 1gb
    memswap_limit: -1
  b:
    image: x
    healthcheck:
      test: ["NONE"]
      interval: 5s
    scale: 3
  c:
    image: x
    healthcheck: {disable: true}
)");
    const json& a = m["services"]["a"];
    EXPECT_EQ(a["healthcheck"], json({{"test", {"CMD-SHELL", "curl -f http://localhost"}},
                                      {"interval", "10s"},
                                      {"retries", 3}}));
    EXPECT_EQ(a["scale"], 2);
    EXPECT_EQ(a["deploy"]["resources"]["limits"]["cpus"], "0.5");
    EXPECT_EQ(a["deploy"]["resources"]["limits"]["memory"], 512 * 1024 * 1024);
    EXPECT_EQ(a["deploy"]["resources"]["reservations"]["cpus"], "0.25");
    EXPECT_EQ(a["deploy"]["resources"]["reservations"]["memory"], 1024LL * 1024 * 1024);
    EXPECT_EQ(a["shm_size"], 64 * 1024 * 1024);
    EXPECT_EQ(a["mem_limit"], 1024LL * 1024 * 1024);
    EXPECT_EQ(a["memswap_limit"], -1);
    EXPECT_EQ(m["services"]["b"]["healthcheck"], json({{"disable", true}}));
    EXPECT_EQ(m["services"]["b"]["scale"], 3);
    EXPECT_EQ(m["services"]["c"]["healthcheck"], json({{"disable", true}}));
    EXPECT_EQ(m["services"]["c"]["scale"], 1);

    std::string e =
        fail("services:\n  a:\n    image: x\n    scale: 2\n    deploy: {replicas: 3}\n");
    EXPECT_EQ(e, "compose.yaml:4: service \"a\": `scale` (2) and `deploy.replicas` (3) differ");
    e = fail("services:\n  a:\n    image: x\n    healthcheck:\n      interval: 10x\n");
    EXPECT_EQ(e.rfind("compose.yaml:5: services.a.healthcheck.interval: ", 0), 0u) << e;
    e = fail("services:\n  a:\n    image: x\n    shm_size: lots\n");
    EXPECT_EQ(e.rfind("compose.yaml:4: services.a.shm_size: ", 0), 0u) << e;
    e = fail("services:\n  a:\n    image: x\n    container_name: one\n    scale: 2\n");
    EXPECT_NE(e.find("container_name \"one\" cannot be used with scale 2"), std::string::npos) << e;
}

TEST_F(NormalizeTest, MapsListsAndUlimits) {
    json m = ok(R"(services:
  a:
    image: x
    labels: [com.example.a=1, "flag"]
    sysctls: {net.core.somaxconn: 1024}
    annotations: [k=v]
    dns: 8.8.8.8
    dns_search: [example.com]
    cap_add: NET_ADMIN
    expose: [80, "81-82"]
    tmpfs: /run
    group_add: [100, wheel]
    extra_hosts:
      - "db=10.0.0.2"
      - "cache:10.0.0.3"
    ulimits:
      nproc: 65535
      nofile: {soft: 20000, hard: "40000"}
    x-custom: dropped
  b:
    image: x
    extra_hosts:
      one: 1.1.1.1
      two: [2.2.2.2, "::2"]
x-top: dropped
version: "3.8"
)");
    const json& a = m["services"]["a"];
    EXPECT_EQ(a["labels"], json({{"com.example.a", "1"}, {"flag", ""}}));
    EXPECT_EQ(a["sysctls"], json({{"net.core.somaxconn", "1024"}}));
    EXPECT_EQ(a["annotations"], json({{"k", "v"}}));
    EXPECT_EQ(a["dns"], json({"8.8.8.8"}));
    EXPECT_EQ(a["dns_search"], json({"example.com"}));
    EXPECT_EQ(a["cap_add"], json({"NET_ADMIN"}));
    EXPECT_EQ(a["expose"], json({"80", "81-82"}));
    EXPECT_EQ(a["tmpfs"], json({"/run"}));
    EXPECT_EQ(a["group_add"], json({"100", "wheel"}));
    EXPECT_EQ(a["extra_hosts"], json({"db:10.0.0.2", "cache:10.0.0.3"}));
    EXPECT_EQ(a["ulimits"]["nproc"], json({{"soft", 65535}, {"hard", 65535}}));
    EXPECT_EQ(a["ulimits"]["nofile"], json({{"soft", 20000}, {"hard", 40000}}));
    EXPECT_FALSE(a.contains("x-custom"));
    EXPECT_EQ(m["services"]["b"]["extra_hosts"], json({"one:1.1.1.1", "two:2.2.2.2", "two:::2"}));
    EXPECT_FALSE(m.contains("x-top"));
    EXPECT_FALSE(m.contains("version"));
    EXPECT_EQ(m["name"], "demo");
}

TEST_F(NormalizeTest, NetworksAndDependsOn) {
    json m = ok(R"(services:
  a:
    image: x
    depends_on: [b]
  b:
    image: x
    networks: [front]
    depends_on:
      c: {condition: service_healthy, restart: true}
  c:
    image: x
    networks:
      front:
        aliases: [cee]
        ipv4_address: 172.20.0.5
        priority: 10
      default:
  d:
    image: x
    network_mode: host
networks:
  front:
    driver: bridge
    labels: [a=b]
  outside:
    external: true
  named:
    name: custom-name
  legacy:
    external: {name: old-name}
)");
    const json& s = m["services"];
    EXPECT_EQ(s["a"]["networks"], json({{"default", nullptr}}));
    EXPECT_EQ(
        s["a"]["depends_on"],
        json({{"b", {{"condition", "service_started"}, {"required", true}, {"restart", false}}}}));
    EXPECT_EQ(s["b"]["networks"], json({{"front", nullptr}}));
    EXPECT_EQ(s["b"]["depends_on"]["c"],
              json({{"condition", "service_healthy"}, {"required", true}, {"restart", true}}));
    EXPECT_EQ(s["c"]["networks"]["front"]["aliases"], json({"cee"}));
    EXPECT_EQ(s["c"]["networks"]["front"]["priority"], 10);
    EXPECT_FALSE(s["d"].contains("networks"));
    EXPECT_EQ(s["d"]["network_mode"], "host");
    const json& n = m["networks"];
    EXPECT_EQ(n["front"], json({{"name", "demo_front"},
                                {"driver", "bridge"},
                                {"external", false},
                                {"internal", false},
                                {"labels", {{"a", "b"}}}}));
    EXPECT_EQ(n["outside"]["name"], "outside");
    EXPECT_EQ(n["outside"]["external"], true);
    EXPECT_EQ(n["named"]["name"], "custom-name");
    EXPECT_EQ(n["legacy"]["name"], "old-name");
    EXPECT_EQ(n["legacy"]["external"], true);
    EXPECT_EQ(n["default"],
              json({{"name", "demo_default"}, {"external", false}, {"internal", false}}));

    std::string e =
        fail("services:\n  a:\n    image: x\n    network_mode: host\n    networks: [default]\n");
    EXPECT_NE(e.find("mutually exclusive `network_mode` and `networks`"), std::string::npos) << e;
    e = fail("services:\n  a:\n    image: x\n    depends_on:\n      b: {condition: sometime}\n");
    EXPECT_NE(e.find("unknown condition \"sometime\""), std::string::npos) << e;
}

TEST_F(NormalizeTest, NoDefaultNetworkWhenUnused) {
    json m = ok("services:\n  a:\n    image: x\n    network_mode: none\n");
    EXPECT_FALSE(m.contains("networks") && m["networks"].contains("default"));
}

TEST_F(NormalizeTest, SecretsAndConfigs) {
    json m = ok(R"(services:
  a:
    image: x
    secrets:
      - token
      - source: cert
        target: /etc/cert.pem
        uid: 1000
        mode: 0400
    configs:
      - source: app
        mode: "0440"
secrets:
  token:
    file: ./secrets/token.txt
  cert:
    environment: CERT
configs:
  app:
    content: "hello"
  shared:
    external: true
)");
    const json& a = m["services"]["a"];
    EXPECT_EQ(a["secrets"][0], json({{"source", "token"}}));
    EXPECT_EQ(
        a["secrets"][1],
        json({{"source", "cert"}, {"target", "/etc/cert.pem"}, {"uid", "1000"}, {"mode", 0400}}));
    EXPECT_EQ(a["configs"][0]["mode"], 0440);
    EXPECT_EQ(
        m["secrets"]["token"],
        json({{"name", "demo_token"}, {"file", dir_ + "/secrets/token.txt"}, {"external", false}}));
    EXPECT_EQ(m["secrets"]["cert"]["environment"], "CERT");
    EXPECT_EQ(m["configs"]["app"]["content"], "hello");
    EXPECT_EQ(m["configs"]["shared"], json({{"name", "shared"}, {"external", true}}));
    std::string e = fail("services:\n  a:\n    image: x\nsecrets:\n  s: {}\n");
    EXPECT_EQ(
        e, "compose.yaml:5: secret \"s\" must declare either `file`, `environment` or `external`");
}

TEST_F(NormalizeTest, RelativePathsKeptWhenNotResolving) {
    auto r = run("services:\n  a:\n    build: ./app\n    volumes: [./x:/x]\n", false);
    ASSERT_TRUE(r.ok()) << r.error().msg;
    EXPECT_EQ(r.value()["services"]["a"]["build"]["context"], "./app");
    EXPECT_EQ(r.value()["services"]["a"]["volumes"][0]["source"], "./x");
}

TEST(NormalizeSyntax, VolumeSpecErrors) {
    EXPECT_FALSE(parseVolumeSpec("a:b:c:d").ok());
    EXPECT_FALSE(parseVolumeSpec("data:relative").ok());
    EXPECT_FALSE(parseVolumeSpec("data:/x:bogus").ok());
    EXPECT_FALSE(parseVolumeSpec("./x:/x:nocopy").ok());
    EXPECT_FALSE(parseVolumeSpec("data:/x:z").ok());
    auto v = parseVolumeSpec("./x:/x:ro,rshared");
    ASSERT_TRUE(v.ok());
    EXPECT_EQ(v.value()["bind"]["propagation"], "rshared");
}

TEST(NormalizeSyntax, PathsAndRawResolution) {
    EXPECT_EQ(absolutePath("/p", "./a/../b/", "/h"), "/p/b");
    EXPECT_EQ(absolutePath("/p", "~", "/h"), "/h");
    EXPECT_EQ(absolutePath("/p", "~/x", "/h"), "/h/x");
    EXPECT_EQ(absolutePath("/p", "/abs", "/h"), "/abs");
    EXPECT_TRUE(isRemoteContext("git@github.com:x/y.git"));
    EXPECT_FALSE(isRemoteContext("./dir"));
    json doc = {
        {"services",
         {{"a",
           {{"build", "."},
            {"env_file", {"a.env", {{"path", "b.env"}}}},
            {"volumes",
             {"./d:/d:ro", "named:/n", {{"type", "bind"}, {"source", "s"}, {"target", "/s"}}}}}},
          {"b", {{"build", {{"dockerfile", "D"}}}, {"label_file", "l.txt"}}}}},
        {"secrets", {{"s", {{"file", "s.txt"}}}}}};
    resolveRawPaths(doc, "/inc", "/h");
    EXPECT_EQ(doc["services"]["a"]["build"], "/inc");
    EXPECT_EQ(doc["services"]["a"]["env_file"], json({"/inc/a.env", {{"path", "/inc/b.env"}}}));
    EXPECT_EQ(doc["services"]["a"]["volumes"][0], "/inc/d:/d:ro");
    EXPECT_EQ(doc["services"]["a"]["volumes"][1], "named:/n");
    EXPECT_EQ(doc["services"]["a"]["volumes"][2]["source"], "/inc/s");
    EXPECT_EQ(doc["services"]["b"]["build"]["context"], "/inc");
    EXPECT_EQ(doc["services"]["b"]["label_file"], "/inc/l.txt");
    EXPECT_EQ(doc["secrets"]["s"]["file"], "/inc/s.txt");
}

}  // namespace
}  // namespace berth::compose
