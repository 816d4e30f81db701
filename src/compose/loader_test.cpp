#include "compose/loader.h"

#include <algorithm>
#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

namespace berth::compose {
namespace {

using nlohmann::json;
namespace fs = std::filesystem;

class LoaderTest : public ::testing::Test {
  protected:
    void SetUp() override {
        char tmpl[] = "/tmp/berth-loader-XXXXXX";
        ASSERT_NE(mkdtemp(tmpl), nullptr);
        root_ = tmpl;
        dir_ = root_ + "/myapp";
        fs::create_directories(dir_);
        opts_.workingDir = dir_;
        opts_.environ = {{"HOME", "/home/me"}};
    }
    void TearDown() override { fs::remove_all(root_); }

    void write(const std::string& rel, const std::string& text) {
        fs::path p = fs::path(dir_) / rel;
        fs::create_directories(p.parent_path());
        std::ofstream(p) << text;
    }

    Project load() {
        auto r = loadProject(opts_);
        EXPECT_TRUE(r.ok()) << r.error().msg;
        return r.ok() ? std::move(r.value()) : Project{};
    }
    std::string fail() {
        auto r = loadProject(opts_);
        EXPECT_FALSE(r.ok()) << r.value().model.dump(2);
        return r.ok() ? "" : r.error().msg;
    }
    static bool hasWarning(const Project& p, const std::string& text) {
        return std::any_of(p.warnings.begin(), p.warnings.end(),
                           [&](const std::string& w) { return w.find(text) != std::string::npos; });
    }

    std::string root_, dir_;
    LoadOptions opts_;
};

// --- discovery, project directory, project name ---

TEST_F(LoaderTest, DiscoversFilesUpwardsWithOverride) {
    write("compose.yaml", "services:\n  web:\n    image: nginx\n");
    write("compose.override.yaml", "services:\n  web:\n    image: nginx:2\n");
    write("sub/deeper/keep", "");
    opts_.workingDir = dir_ + "/sub/deeper";
    Project p = load();
    EXPECT_EQ(p.configFiles,
              (std::vector<std::string>{dir_ + "/compose.yaml", dir_ + "/compose.override.yaml"}));
    EXPECT_EQ(p.workingDir, dir_);
    EXPECT_EQ(p.name, "myapp");
    EXPECT_EQ(p.model["services"]["web"]["image"], "nginx:2");
}

TEST_F(LoaderTest, DiscoveryOrderAndFamilies) {
    write("docker-compose.yml", "services: {}\n");
    write("docker-compose.override.yml", "services: {}\n");
    write("compose.override.yaml", "services: {}\n");
    auto files = findComposeFiles(dir_);
    ASSERT_TRUE(files.ok());
    EXPECT_EQ(files.value(), (std::vector<std::string>{dir_ + "/docker-compose.yml",
                                                       dir_ + "/docker-compose.override.yml"}));
    write("compose.yml", "services: {}\n");
    files = findComposeFiles(dir_);
    ASSERT_TRUE(files.ok());
    EXPECT_EQ(files.value(),
              (std::vector<std::string>{dir_ + "/compose.yml", dir_ + "/compose.override.yaml"}));
    auto none = findComposeFiles("/proc/self");
    ASSERT_FALSE(none.ok());
    EXPECT_EQ(none.error().msg, "no configuration file provided: not found");
}

TEST_F(LoaderTest, ComposeFileVariable) {
    write("a.yaml", "services:\n  web:\n    image: a\n");
    write("b.yaml", "services:\n  web:\n    image: b\n");
    opts_.environ["COMPOSE_FILE"] = "a.yaml:b.yaml";
    Project p = load();
    EXPECT_EQ(p.configFiles, (std::vector<std::string>{dir_ + "/a.yaml", dir_ + "/b.yaml"}));
    EXPECT_EQ(p.model["services"]["web"]["image"], "b");
    opts_.environ["COMPOSE_PATH_SEPARATOR"] = ",";
    opts_.environ["COMPOSE_FILE"] = "b.yaml,a.yaml";
    EXPECT_EQ(load().model["services"]["web"]["image"], "a");
}

TEST_F(LoaderTest, ProjectNameRules) {
    fs::create_directories(root_ + "/My App.v2");
    std::ofstream(root_ + "/My App.v2/compose.yaml") << "services:\n  a:\n    image: x\n";
    opts_.workingDir = root_ + "/My App.v2";
    EXPECT_EQ(load().name, "myappv2");

    write("compose.yaml", "name: from-file\nservices:\n  a:\n    image: x\n");
    opts_.workingDir = dir_;
    EXPECT_EQ(load().name, "from-file");
    opts_.environ["COMPOSE_PROJECT_NAME"] = "from-env";
    EXPECT_EQ(load().name, "from-env");
    opts_.projectName = "from-flag";
    EXPECT_EQ(load().name, "from-flag");
    opts_.projectName = "Bad Name";
    EXPECT_EQ(fail(),
              "invalid project name \"Bad Name\": must consist only of lowercase alphanumeric "
              "characters, hyphens, and underscores as well as start with a letter or number");
    opts_.projectName = "";
    opts_.environ.erase("COMPOSE_PROJECT_NAME");
    write("compose.yaml", "name: _bad\nservices:\n  a:\n    image: x\n");
    std::string e = fail();
    EXPECT_EQ(e.rfind(dir_ + "/compose.yaml:1: invalid project name \"_bad\"", 0), 0u) << e;
    // COMPOSE_PROJECT_NAME may come from .env too.
    write("compose.yaml", "services:\n  a:\n    image: x\n");
    write(".env", "COMPOSE_PROJECT_NAME=dotenv-name\n");
    EXPECT_EQ(load().name, "dotenv-name");
}

TEST_F(LoaderTest, ProjectDirectoryFlagAndStdin) {
    write("elsewhere/compose.yaml", "services:\n  a:\n    build: ./app\n");
    opts_.files = {"elsewhere/compose.yaml"};
    Project p = load();
    EXPECT_EQ(p.workingDir, dir_ + "/elsewhere");
    EXPECT_EQ(p.name, "elsewhere");
    EXPECT_EQ(p.model["services"]["a"]["build"]["context"], dir_ + "/elsewhere/app");
    opts_.projectDirectory = dir_;
    p = load();
    EXPECT_EQ(p.model["services"]["a"]["build"]["context"], dir_ + "/app");
    opts_.files = {"-"};
    opts_.projectDirectory = "";
    opts_.stdinText = "services:\n  s:\n    image: x\n    volumes: [./v:/v]\n";
    p = load();
    EXPECT_EQ(p.configFiles, std::vector<std::string>{"-"});
    EXPECT_EQ(p.model["services"]["s"]["volumes"][0]["source"], dir_ + "/v");
    opts_.stdinText = "services:\n  s:\n    image: [\n";
    EXPECT_EQ(fail().rfind("<stdin>:", 0), 0u);
}

// --- interpolation ---

TEST_F(LoaderTest, InterpolationWithDotEnvAndPrecedence) {
    write(".env", "TAG=from-dotenv\nPORT=8080\nREPLICAS=3\nRO=true\nONLY_DOTENV=d\n# comment\n");
    write("compose.yaml", R"(services:
  web:
    image: "nginx:${TAG}"
    ports: ["${PORT}:80", {target: "${PORT}", published: "${PORT}"}]
    read_only: ${RO}
    deploy:
      replicas: ${REPLICAS}
    environment:
      A: ${ONLY_DOTENV}
      B: ${UNSET_ONE}
      C: ${UNSET_ONE:-fallback}
      D: $${NOT_INTERPOLATED}
      E: ${UNSET_TWO}
    labels:
      ${KEYS_ARE_NOT_INTERPOLATED}: x
)");
    opts_.environ["TAG"] = "from-process";  // the process environment wins over .env
    Project p = load();
    const json& web = p.model["services"]["web"];
    EXPECT_EQ(web["image"], "nginx:from-process");
    EXPECT_EQ(web["ports"][0]["published"], "8080");
    EXPECT_EQ(web["ports"][1]["target"], 8080);
    EXPECT_EQ(web["ports"][1]["published"], "8080");
    EXPECT_EQ(web["read_only"], true);
    EXPECT_EQ(web["scale"], 3);
    EXPECT_EQ(web["deploy"]["replicas"], 3);
    EXPECT_EQ(web["environment"]["A"], "d");
    EXPECT_EQ(web["environment"]["B"], "");
    EXPECT_EQ(web["environment"]["C"], "fallback");
    EXPECT_EQ(web["environment"]["D"], "${NOT_INTERPOLATED}");
    EXPECT_TRUE(web["labels"].contains("${KEYS_ARE_NOT_INTERPOLATED}"));
    EXPECT_EQ(p.env["TAG"], "from-process");
    EXPECT_EQ(p.env["ONLY_DOTENV"], "d");
    EXPECT_EQ(std::count(p.warnings.begin(), p.warnings.end(),
                         "The \"UNSET_ONE\" variable is not set. Defaulting to a blank string."),
              1);
    EXPECT_TRUE(hasWarning(p, "The \"UNSET_TWO\" variable is not set."));

    // --env-file replaces the default .env.
    write("other.env", "TAG=other\nPORT=1\nREPLICAS=1\nRO=false\n");
    opts_.environ.erase("TAG");
    opts_.envFiles = {"other.env"};
    p = load();
    EXPECT_EQ(p.model["services"]["web"]["image"], "nginx:other");
    EXPECT_FALSE(p.env.count("ONLY_DOTENV"));
    opts_.envFiles = {"missing.env"};
    EXPECT_EQ(fail(), "couldn't find env file: " + dir_ + "/missing.env");
}

TEST_F(LoaderTest, InterpolationErrorsNameFileLineAndPath) {
    write("compose.yaml",
          "services:\n  web:\n    image: nginx\n    environment:\n"
          "      TAG: ${TAG:?set TAG first}\n");
    EXPECT_EQ(fail(), dir_ +
                          "/compose.yaml:5: services.web.environment.TAG: required variable TAG "
                          "is missing a value: set TAG first");
    write("compose.yaml", "services:\n  web:\n    image: \"${BROKEN\"\n");
    std::string e = fail();
    EXPECT_EQ(
        e.rfind(dir_ + "/compose.yaml:3: services.web.image: invalid interpolation format", 0), 0u)
        << e;
    write("compose.yaml", "services:\n  web:\n    image: x\n    read_only: ${RO}\n");
    opts_.environ["RO"] = "maybe";
    EXPECT_EQ(fail(), dir_ + "/compose.yaml:4: services.web.read_only: invalid boolean \"maybe\"");
}

TEST_F(LoaderTest, InterpolationCanBeTurnedOff) {
    write("compose.yaml", "services:\n  web:\n    image: \"nginx:${TAG}\"\n");
    opts_.interpolate = false;
    EXPECT_EQ(load().model["services"]["web"]["image"], "nginx:${TAG}");
}

// --- several files ---

TEST_F(LoaderTest, MergesSeveralFilesInOrder) {
    write("compose.yaml", R"(services:
  web:
    image: nginx
    ports: ["80:80"]
    environment: [A=1, B=2]
    command: ["a"]
volumes:
  data:
)");
    write("prod.yaml", R"(services:
  web:
    ports: ["443:443", "80:80"]
    environment: {B: "3"}
    command: b c
    volumes: [data:/data]
  worker:
    image: busybox
)");
    opts_.files = {"compose.yaml", "prod.yaml"};
    Project p = load();
    const json& web = p.model["services"]["web"];
    EXPECT_EQ(web["ports"].size(), 2u);
    EXPECT_EQ(web["ports"][1]["target"], 443);
    EXPECT_EQ(web["environment"], json({{"A", "1"}, {"B", "3"}}));
    EXPECT_EQ(web["command"], json({"b", "c"}));
    EXPECT_EQ(web["volumes"][0]["source"], "data");
    EXPECT_TRUE(p.model["services"].contains("worker"));
    EXPECT_EQ(p.configFiles,
              (std::vector<std::string>{dir_ + "/compose.yaml", dir_ + "/prod.yaml"}));
}

TEST_F(LoaderTest, ErrorsAfterMergeNameTheFileThatSaidIt) {
    write("compose.yaml", "services:\n  web:\n    image: nginx\n");
    write("override.yaml", "services:\n  web:\n    volumes:\n      - missing:/data\n");
    opts_.files = {"compose.yaml", "override.yaml"};
    EXPECT_EQ(fail(), dir_ +
                          "/override.yaml:4: service \"web\" refers to undefined volume missing: "
                          "invalid compose project");
}

// --- broken files ---

TEST_F(LoaderTest, BrokenFilesReportFileAndLine) {
    write("compose.yaml", "services:\n  web:\n    image: nginx\n   ports: []\n");
    std::string e = fail();
    EXPECT_EQ(e.rfind(dir_ + "/compose.yaml:4:", 0), 0u) << e;

    write("compose.yaml", "services:\n  web:\n    image: nginx\n    image: other\n");
    EXPECT_EQ(fail(), dir_ + "/compose.yaml:4:5: mapping key \"image\" already defined at line 3");

    write("compose.yaml", "services:\n  web:\n    image: nginx\n    ports: 80\n");
    e = fail();
    EXPECT_EQ(e.rfind(dir_ + "/compose.yaml:4: ", 0), 0u) << e;
    EXPECT_NE(e.find("services.web.ports"), std::string::npos) << e;

    write("compose.yaml", "");
    EXPECT_EQ(fail(), dir_ + "/compose.yaml: empty compose file");

    write("compose.yaml", "- a\n- b\n");
    EXPECT_EQ(fail(), dir_ + "/compose.yaml: the top level must be a mapping");

    opts_.files = {"nope.yaml"};
    EXPECT_EQ(fail(), dir_ + "/nope.yaml: No such file or directory");
}

TEST_F(LoaderTest, UnknownKeysWarnAndAreDropped) {
    write("compose.yaml",
          "version: \"3.8\"\nservices:\n  web:\n    image: nginx\n    imagee: typo\n"
          "    x-ok: fine\n");
    Project p = load();
    EXPECT_FALSE(p.model["services"]["web"].contains("imagee"));
    EXPECT_TRUE(hasWarning(p, dir_ + "/compose.yaml:5: ")) << ::testing::PrintToString(p.warnings);
    EXPECT_TRUE(hasWarning(p, "imagee")) << ::testing::PrintToString(p.warnings);
    EXPECT_TRUE(hasWarning(p, dir_ + "/compose.yaml:1: the attribute `version` is obsolete"))
        << ::testing::PrintToString(p.warnings);
}

TEST_F(LoaderTest, ConsistencyChecks) {
    write("compose.yaml", "services:\n  web:\n    image: x\n    depends_on: [db]\n");
    EXPECT_EQ(fail(), dir_ +
                          "/compose.yaml:4: service \"web\" depends on undefined service \"db\": "
                          "invalid compose project");
    write("compose.yaml",
          "services:\n  web:\n    image: x\n    depends_on:\n"
          "      db: {condition: service_started, required: false}\n");
    Project p = load();
    EXPECT_TRUE(p.model["services"]["web"]["depends_on"].empty());
    EXPECT_TRUE(hasWarning(p, "depends on undefined service \"db\" (not required, ignored)"));
    write("compose.yaml", "services:\n  web:\n    image: x\n    network_mode: service:vpn\n");
    EXPECT_EQ(fail(), dir_ +
                          "/compose.yaml:4: service \"web\" refers to undefined service \"vpn\" in "
                          "network_mode: invalid compose project");
    write("compose.yaml", "services:\n  web:\n    environment: [A=1]\n");
    EXPECT_EQ(fail(), dir_ +
                          "/compose.yaml:2: service \"web\" has neither an image nor a build "
                          "context specified: invalid compose project");
}

// --- profiles ---

TEST_F(LoaderTest, Profiles) {
    write("compose.yaml", R"(services:
  web:
    image: x
    depends_on: [db]
  db:
    image: x
  debug:
    image: x
    profiles: [debug]
    depends_on: [tools]
  tools:
    image: x
    profiles: [tools]
  opt:
    image: x
    profiles: [debug]
)");
    Project p = load();
    EXPECT_EQ(p.model["services"].size(), 2u);
    EXPECT_EQ(p.disabledServices, (std::vector<std::string>{"debug", "opt", "tools"}));

    opts_.profiles = {"debug", "tools"};
    p = load();
    EXPECT_EQ(p.model["services"].size(), 5u);
    EXPECT_TRUE(p.disabledServices.empty());

    opts_.profiles = {"*"};
    EXPECT_EQ(load().model["services"].size(), 5u);

    opts_.profiles = {};
    opts_.environ["COMPOSE_PROFILES"] = "tools, debug";
    EXPECT_EQ(load().model["services"].size(), 5u);
    opts_.environ.erase("COMPOSE_PROFILES");

    // Naming a service enables it and what it depends on, whatever their profiles.
    opts_.explicitServices = {"debug"};
    p = load();
    EXPECT_TRUE(p.model["services"].contains("debug"));
    EXPECT_TRUE(p.model["services"].contains("tools"));
    EXPECT_FALSE(p.model["services"].contains("opt"));
    EXPECT_EQ(p.disabledServices, std::vector<std::string>{"opt"});

    opts_.explicitServices = {"nope"};
    EXPECT_EQ(fail(), "no such service: nope");

    // An enabled service needing a disabled one.
    opts_.explicitServices = {};
    opts_.profiles = {"debug"};
    std::string e = fail();
    EXPECT_EQ(e, dir_ +
                     "/compose.yaml:10: service \"tools\" was pulled in as a dependency of service "
                     "\"debug\" but is not enabled by the active profiles. You may fix this by "
                     "adding a common profile to \"tools\" and \"debug\"");
}

TEST_F(LoaderTest, OptionalDependencyOnDisabledServiceIsDropped) {
    write("compose.yaml", R"(services:
  web:
    image: x
    depends_on:
      debug: {condition: service_started, required: false}
  debug:
    image: x
    profiles: [debug]
)");
    Project p = load();
    EXPECT_TRUE(p.model["services"]["web"]["depends_on"].empty());
}

// --- extends ---

TEST_F(LoaderTest, ExtendsSameFile) {
    write("compose.yaml", R"(services:
  base:
    image: busybox
    environment: [A=1, B=1]
    ports: ["80:80"]
    command: base
  mid:
    extends: base
    environment: {B: "2"}
  web:
    extends:
      service: mid
    ports: ["81:81"]
    command: web
    volumes: !reset []
)");
    Project p = load();
    const json& web = p.model["services"]["web"];
    EXPECT_EQ(web["image"], "busybox");
    EXPECT_EQ(web["environment"], json({{"A", "1"}, {"B", "2"}}));
    EXPECT_EQ(web["ports"].size(), 2u);
    EXPECT_EQ(web["command"], json({"web"}));
    EXPECT_FALSE(web.contains("extends"));
    EXPECT_EQ(p.model["services"]["mid"]["command"], json({"base"}));
}

TEST_F(LoaderTest, ExtendsOtherFileResolvesItsPaths) {
    write("common/base.yml", R"(services:
  app:
    build: ./src
    env_file: app.env
    volumes: [./data:/data]
  helper:
    extends: app
    image: helper
)");
    write("common/app.env", "FROM_APP_ENV=yes\n");
    write("compose.yaml", R"(services:
  web:
    extends:
      file: common/base.yml
      service: helper
    environment: {LOCAL: "1"}
)");
    Project p = load();
    const json& web = p.model["services"]["web"];
    EXPECT_EQ(web["image"], "helper");
    EXPECT_EQ(web["build"]["context"], dir_ + "/common/src");
    EXPECT_EQ(web["volumes"][0]["source"], dir_ + "/common/data");
    EXPECT_EQ(web["environment"], json({{"FROM_APP_ENV", "yes"}, {"LOCAL", "1"}}));
}

TEST_F(LoaderTest, ExtendsErrors) {
    write("compose.yaml", "services:\n  a:\n    extends: b\n  b:\n    extends: a\n");
    std::string e = fail();
    EXPECT_NE(e.find("circular reference"), std::string::npos) << e;
    EXPECT_EQ(e.rfind(dir_ + "/compose.yaml:", 0), 0u) << e;
    write("compose.yaml", "services:\n  a:\n    image: x\n    extends: nope\n");
    EXPECT_EQ(fail(), dir_ +
                          "/compose.yaml:4: services.a.extends: cannot extend service \"nope\": "
                          "no such service in " +
                          dir_ + "/compose.yaml");
    write("compose.yaml", "services:\n  a:\n    extends: {file: other.yml, service: x}\n");
    e = fail();
    EXPECT_EQ(e, dir_ + "/compose.yaml:3: services.a.extends: " + dir_ +
                     "/other.yml: No such file or directory");
}

// --- include ---

TEST_F(LoaderTest, IncludeLoadsSubProjectsWithTheirOwnDirectory) {
    write("db/compose.yaml", R"(services:
  db:
    image: "postgres:${PG_VERSION}"
    volumes: [./init:/docker-entrypoint-initdb.d, dbdata:/var/lib/postgresql/data]
    env_file: db.env
volumes:
  dbdata:
)");
    write("db/.env", "PG_VERSION=16\nSHARED=from-db-env\n");
    write("db/db.env", "POSTGRES_PASSWORD=x\n");
    write("cache/cache.yaml",
          "services:\n  cache:\n    image: redis\n    environment: [\"S=${SHARED}\"]\n");
    write("cache/vars.env", "SHARED=from-vars\n");
    write("compose.yaml", R"(include:
  - db/compose.yaml
  - path: cache/cache.yaml
    env_file: cache/vars.env
services:
  web:
    image: nginx
    depends_on: [db, cache]
)");
    opts_.environ["PG_VERSION"] = "15";  // the including project's environment wins
    Project p = load();
    const json& s = p.model["services"];
    ASSERT_TRUE(s.contains("db"));
    EXPECT_EQ(s["db"]["image"], "postgres:15");
    EXPECT_EQ(s["db"]["volumes"][0]["source"], dir_ + "/db/init");
    EXPECT_EQ(s["db"]["volumes"][1]["source"], "dbdata");
    EXPECT_EQ(s["db"]["environment"]["POSTGRES_PASSWORD"], "x");
    EXPECT_EQ(s["cache"]["environment"]["S"], "from-vars");
    EXPECT_EQ(p.model["volumes"]["dbdata"]["name"], "myapp_dbdata");
    EXPECT_FALSE(p.model.contains("include"));
}

TEST_F(LoaderTest, IncludeConflictsAndCycles) {
    write("inc.yaml", "services:\n  web:\n    image: other\n");
    write("compose.yaml", "include: [inc.yaml]\nservices:\n  web:\n    image: nginx\n");
    EXPECT_EQ(fail(), dir_ +
                          "/compose.yaml:3: services.web conflicts with imported resource from " +
                          dir_ + "/inc.yaml");
    // The same definition twice is fine.
    write("compose.yaml", "include: [inc.yaml]\nservices:\n  web:\n    image: other\n");
    EXPECT_EQ(load().model["services"]["web"]["image"], "other");

    write("a.yaml", "include: [b.yaml]\nservices:\n  a:\n    image: x\n");
    write("b.yaml", "include: [a.yaml]\nservices:\n  b:\n    image: x\n");
    write("compose.yaml", "include: [a.yaml]\nservices:\n  web:\n    image: x\n");
    std::string e = fail();
    EXPECT_NE(e.find("include cycle detected"), std::string::npos) << e;
    EXPECT_EQ(e.rfind(dir_ + "/b.yaml:1: ", 0), 0u) << e;
}

// --- the model as a whole ---

TEST_F(LoaderTest, NormalizedModelShape) {
    write("compose.yaml", R"(x-defaults: &defaults
  restart: unless-stopped
  labels: {team: core}
services:
  web:
    <<: *defaults
    image: nginx
    ports: ["8080:80"]
  db:
    <<: *defaults
    image: postgres
    volumes: [data:/var/lib/postgresql/data]
volumes:
  data:
)");
    Project p = load();
    const json& m = p.model;
    EXPECT_EQ(m["name"], "myapp");
    EXPECT_FALSE(m.contains("x-defaults"));
    EXPECT_EQ(m["services"]["web"]["restart"], "unless-stopped");
    EXPECT_EQ(m["services"]["db"]["labels"], json({{"team", "core"}}));
    EXPECT_EQ(m["services"]["web"]["networks"], json({{"default", nullptr}}));
    EXPECT_EQ(m["networks"]["default"]["name"], "myapp_default");
    EXPECT_EQ(m["volumes"]["data"]["name"], "myapp_data");
    EXPECT_EQ(m["services"]["web"]["scale"], 1);

    opts_.normalize = false;
    p = load();
    EXPECT_EQ(p.model["services"]["web"]["ports"], json({"8080:80"}));
    EXPECT_EQ(p.model["name"], "myapp");
}

}  // namespace
}  // namespace berth::compose
