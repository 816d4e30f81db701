#include "compose/schema.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace berth::compose {

extern const char kComposeSchema[];

namespace {

using json = nlohmann::json;

std::string describe(const std::vector<SchemaIssue>& issues) {
    std::string s;
    for (const auto& i : issues) {
        s += i.pointer + " | " + i.path + " | " + i.message + (i.unknownKey ? " | unknown" : "") +
             "\n";
    }
    return s;
}

std::vector<SchemaIssue> compose(const json& doc) {
    return composeSchema().validate(doc);
}

// The issues for one service `web` with the given body.
std::vector<SchemaIssue> web(const json& body) {
    return compose({{"services", {{"web", body}}}});
}

// The single issue's message.
std::string oneMessage(const std::vector<SchemaIssue>& issues) {
    EXPECT_EQ(issues.size(), 1u) << describe(issues);
    return issues.empty() ? std::string() : issues[0].message;
}

TEST(ComposeSchema, TheRealSchemaParses) {
    auto s = Schema::parse(kComposeSchema);
    ASSERT_TRUE(s.ok()) << s.error().str();
    EXPECT_TRUE(s->validate(json::parse(R"({"services": {"a": {"image": "busybox"}}})")).empty());
    EXPECT_EQ(&composeSchema(), &composeSchema());
}

TEST(ComposeSchema, EmptyAndMinimalDocumentsPass) {
    EXPECT_TRUE(compose(json::object()).empty());
    EXPECT_TRUE(compose(json::parse(R"({"services": {}})")).empty());
    EXPECT_TRUE(
        compose(json::parse(R"({"name": "p", "services": {"a": {"image": "x"}}})")).empty());
}

TEST(ComposeSchema, RealisticWebStackPasses) {
    auto doc = json::parse(R"({
      "name": "shop",
      "x-common": {"restart": "unless-stopped"},
      "services": {
        "web": {
          "build": {"context": "./web", "dockerfile": "Dockerfile.dev",
                    "args": {"NODE_ENV": "production", "VERSION": 3}, "target": "run",
                    "labels": ["a=b"], "cache_from": ["web:cache"]},
          "image": "shop/web:1.0",
          "command": ["npm", "start"],
          "entrypoint": "/docker-entrypoint.sh",
          "ports": ["80", 8080, "127.0.0.1:8443:443", "8000-8002:80-82/udp",
                    {"target": 80, "published": "8081", "protocol": "tcp", "mode": "ingress",
                     "host_ip": "0.0.0.0", "x-note": "long syntax"},
                    {"target": "81", "published": 9000}],
          "expose": ["3000", 3001],
          "environment": {"DEBUG": "false", "WORKERS": 4, "FLAG": true, "EMPTY": null},
          "env_file": [".env", {"path": "./extra.env", "required": false}],
          "depends_on": {
            "db": {"condition": "service_healthy", "restart": true},
            "cache": {"condition": "service_started", "required": false},
            "migrate": {"condition": "service_completed_successfully"}
          },
          "healthcheck": {"test": ["CMD", "curl", "-f", "http://localhost"], "interval": "30s",
                          "timeout": "10s", "retries": 3, "start_period": "40s",
                          "start_interval": "5s"},
          "volumes": [
            "static:/srv/static:ro",
            "./conf:/etc/web",
            "/var/cache",
            {"type": "bind", "source": "./logs", "target": "/logs", "read_only": true,
             "bind": {"create_host_path": true, "propagation": "rprivate"}},
            {"type": "volume", "source": "data", "target": "/data", "volume": {"nocopy": true}},
            {"type": "tmpfs", "target": "/tmp", "tmpfs": {"size": 1048576, "mode": 1777}}
          ],
          "networks": {"front": {"aliases": ["www"], "ipv4_address": "172.16.238.10"},
                       "back": null},
          "restart": "on-failure:3",
          "deploy": {"replicas": 2, "mode": "replicated",
                     "resources": {"limits": {"cpus": "0.50", "memory": "512M", "pids": 100},
                                   "reservations": {"cpus": 0.25, "memory": "128M",
                                                    "devices": [{"capabilities": ["gpu"],
                                                                 "count": 1}]}},
                     "restart_policy": {"condition": "on-failure", "max_attempts": 3},
                     "labels": {"tier": "front"},
                     "update_config": {"parallelism": 1, "order": "start-first"}},
          "secrets": ["api_key", {"source": "tls", "target": "/run/tls.pem", "uid": "100",
                                  "gid": "100", "mode": 288}],
          "configs": [{"source": "nginx", "target": "/etc/nginx/nginx.conf"}],
          "labels": ["com.example.tier=front"],
          "logging": {"driver": "json-file", "options": {"max-size": "10m", "max-file": 3}},
          "ulimits": {"nproc": 65535, "nofile": {"soft": 20000, "hard": 40000}},
          "cap_add": ["NET_ADMIN"],
          "cap_drop": ["ALL"],
          "extra_hosts": ["somehost:162.242.195.82"],
          "dns": "8.8.8.8",
          "tmpfs": ["/run"],
          "shm_size": "64m",
          "mem_limit": "1g",
          "cpus": 1.5,
          "init": true,
          "stop_grace_period": "1m30s",
          "stop_signal": "SIGTERM",
          "user": "1000:1000",
          "working_dir": "/app",
          "profiles": ["web"],
          "container_name": "shop-web",
          "x-ignored": [1, 2, 3]
        },
        "db": {
          "image": "postgres:16",
          "environment": ["POSTGRES_PASSWORD_FILE=/run/secrets/db_pass", "PGDATA"],
          "volumes": ["data:/var/lib/postgresql/data"],
          "healthcheck": {"test": "pg_isready -U postgres", "interval": "5s"},
          "networks": ["back"],
          "secrets": ["db_pass"]
        },
        "cache": {"image": "redis:7", "command": "redis-server --appendonly yes",
                  "healthcheck": {"disable": true}, "network_mode": "service:db"},
        "migrate": {"extends": {"file": "common.yml", "service": "base"},
                    "depends_on": ["db"], "entrypoint": [], "command": null}
      },
      "volumes": {"static": null, "data": {"driver": "local", "labels": {"backup": "yes"}},
                  "ext": {"external": true, "name": "shared_data"}},
      "networks": {"front": {"driver": "bridge",
                             "ipam": {"config": [{"subnet": "172.16.238.0/24"}]}},
                   "back": {"internal": true},
                   "outside": {"external": true}},
      "secrets": {"api_key": {"file": "./api_key.txt"}, "tls": {"file": "./tls.pem"},
                  "db_pass": {"environment": "DB_PASS"}},
      "configs": {"nginx": {"file": "./nginx.conf"}, "inline": {"content": "hello"}}
    })");
    auto issues = compose(doc);
    EXPECT_TRUE(issues.empty()) << describe(issues);
}

TEST(ComposeSchema, MoreValidForms) {
    auto doc = json::parse(R"({
      "include": ["other.yml", {"path": ["a.yml", "b.yml"], "env_file": ".env"}],
      "services": {
        "gpu": {"image": "cuda", "gpus": "all", "devices": ["/dev/fuse", {"source": "/dev/kvm"}],
                "develop": {"watch": [{"path": "./src", "action": "sync", "target": "/app"}]},
                "post_start": [{"command": ["echo", "hi"], "user": "root"}],
                "pull_policy": "always", "cpu_percent": 50, "oom_score_adj": -500,
                "sysctls": {"net.core.somaxconn": 1024}, "annotations": ["a=b"],
                "blkio_config": {"weight": 300, "device_read_bps": [{"path": "/dev/sda",
                                                                   "rate": "12mb"}]}},
        "x-service-like": {"image": "not really a service but a valid name"}
      },
      "networks": {"default": null},
      "volumes": {"v": {"external": {"name": "legacy"}}}
    })");
    auto issues = compose(doc);
    EXPECT_TRUE(issues.empty()) << describe(issues);
}

TEST(ComposeSchema, XKeysPassEverywhere) {
    auto doc = json::parse(R"({
      "x-top": {"anything": [1]},
      "services": {
        "web": {"image": "x", "x-svc": 1,
                "ports": [{"target": 80, "x-p": true}],
                "depends_on": {"db": {"condition": "service_started", "x-d": 1}},
                "volumes": [{"type": "volume", "source": "v", "target": "/v", "x-v": {},
                             "volume": {"nocopy": true, "x-vv": 1}}],
                "healthcheck": {"test": "true", "x-h": 1},
                "deploy": {"x-deploy": 1, "resources": {"x-r": 1, "limits": {"x-l": 1}}},
                "build": {"context": ".", "x-build": "y"},
                "logging": {"x-log": 1}}
      },
      "volumes": {"v": {"x-vol": 1}},
      "networks": {"n": {"x-net": 1, "ipam": {"x-ipam": 1}}},
      "secrets": {"s": {"file": "f", "x-sec": 1}},
      "configs": {"c": {"file": "f", "x-cfg": 1}}
    })");
    auto issues = compose(doc);
    EXPECT_TRUE(issues.empty()) << describe(issues);
}

TEST(ComposeSchema, UnknownServiceKeyIsAnUnknownKeyIssue) {
    auto issues = web({{"image", "nginx"}, {"foo", "bar"}});
    ASSERT_EQ(issues.size(), 1u) << describe(issues);
    EXPECT_EQ(issues[0].pointer, "/services/web/foo");
    EXPECT_EQ(issues[0].path, "services.web.foo");
    EXPECT_EQ(issues[0].message, "services.web additional property foo is not allowed");
    EXPECT_TRUE(issues[0].unknownKey);
}

TEST(ComposeSchema, UnknownKeysElsewhere) {
    auto top = compose({{"services", json::object()}, {"helicopters", 1}});
    ASSERT_EQ(top.size(), 1u) << describe(top);
    EXPECT_EQ(top[0].path, "helicopters");
    EXPECT_EQ(top[0].pointer, "/helicopters");
    EXPECT_EQ(top[0].message, "(root) additional property helicopters is not allowed");
    EXPECT_TRUE(top[0].unknownKey);

    // Inside a oneOf branch: the object form of build is the one reported.
    auto build = web({{"build", {{"context", "."}, {"contxt", "typo"}}}});
    ASSERT_EQ(build.size(), 1u) << describe(build);
    EXPECT_EQ(build[0].path, "services.web.build.contxt");
    EXPECT_EQ(build[0].message, "services.web.build additional property contxt is not allowed");
    EXPECT_TRUE(build[0].unknownKey);

    auto port = web({{"ports", {{{"target", 80}, {"publish", 8080}}}}});
    ASSERT_EQ(port.size(), 1u) << describe(port);
    EXPECT_EQ(port[0].path, "services.web.ports.0.publish");
    EXPECT_EQ(port[0].message, "services.web.ports.0 additional property publish is not allowed");
    EXPECT_TRUE(port[0].unknownKey);

    auto vol = compose({{"volumes", {{"data", {{"drivr", "local"}}}}}});
    ASSERT_EQ(vol.size(), 1u) << describe(vol);
    EXPECT_EQ(vol[0].message, "volumes.data additional property drivr is not allowed");
    EXPECT_TRUE(vol[0].unknownKey);
}

TEST(ComposeSchema, BadServiceNameIsAnErrorNotAnUnknownKey) {
    auto issues = compose({{"services", {{"my app", {{"image", "x"}}}}}});
    ASSERT_EQ(issues.size(), 1u) << describe(issues);
    EXPECT_EQ(issues[0].path, "services.my app");
    EXPECT_EQ(issues[0].message,
              "services has an invalid name \"my app\" (names must match ^[a-zA-Z0-9._-]+$)");
    EXPECT_FALSE(issues[0].unknownKey);
}

TEST(ComposeSchema, TypeErrorsHaveDottedPaths) {
    auto restart = web({{"image", "x"}, {"restart", 5}});
    ASSERT_EQ(restart.size(), 1u) << describe(restart);
    EXPECT_EQ(restart[0].pointer, "/services/web/restart");
    EXPECT_EQ(restart[0].path, "services.web.restart");
    EXPECT_EQ(restart[0].message, "services.web.restart must be a string");
    EXPECT_FALSE(restart[0].unknownKey);

    EXPECT_EQ(oneMessage(web({{"image", {1}}})), "services.web.image must be a string");
    EXPECT_EQ(oneMessage(web({{"privileged", {1}}})),
              "services.web.privileged must be a string or boolean");
    EXPECT_EQ(oneMessage(web({{"cpus", true}})), "services.web.cpus must be a string or number");
    EXPECT_EQ(oneMessage(web({{"scale", 1.5}})), "services.web.scale must be a string or integer");
    EXPECT_EQ(oneMessage(web({{"mem_reservation", {{"a", 1}}}})),
              "services.web.mem_reservation must be a string or integer");
    EXPECT_EQ(oneMessage(compose({{"services", json::array()}})), "services must be a mapping");
    EXPECT_EQ(oneMessage(compose(json::array())), "(root) must be a mapping");
    EXPECT_EQ(oneMessage(compose({{"services", {{"web", "nginx"}}}})),
              "services.web must be a mapping");
    // 1.0 is an integer in JSON Schema's sense.
    EXPECT_TRUE(web({{"scale", 2.0}}).empty());
}

TEST(ComposeSchema, OneOfReportsOneUsefulMessage) {
    EXPECT_EQ(oneMessage(web({{"ports", {true}}})),
              "services.web.ports.0 must be a string, number or mapping");
    EXPECT_EQ(oneMessage(web({{"ports", {{{"target", json::array()}}}}})),
              "services.web.ports.0.target must be a string or integer");
    EXPECT_EQ(oneMessage(web({{"environment", 5}})),
              "services.web.environment must be a mapping or list");
    EXPECT_EQ(oneMessage(web({{"environment", {{"A", {1, 2}}}}})),
              "services.web.environment.A must be a string, number, boolean or null");
    EXPECT_EQ(oneMessage(web({{"environment", {"A=1", 2}}})),
              "services.web.environment.1 must be a string");
    EXPECT_EQ(oneMessage(web({{"command", 5}})),
              "services.web.command must be a string, list or null");
    EXPECT_EQ(oneMessage(web({{"command", {"ls", 5}}})), "services.web.command.1 must be a string");
    EXPECT_EQ(oneMessage(web({{"healthcheck", {{"test", 5}}}})),
              "services.web.healthcheck.test must be a string or list");
    EXPECT_EQ(oneMessage(web({{"build", 5}})), "services.web.build must be a string or mapping");
    EXPECT_EQ(oneMessage(web({{"gpus", "some"}})), "services.web.gpus must be one of: all");
    EXPECT_EQ(oneMessage(web({{"depends_on", "db"}})),
              "services.web.depends_on must be a mapping or list");
    EXPECT_EQ(oneMessage(web({{"networks", {{"front", {{"aliases", "www"}}}}}})),
              "services.web.networks.front.aliases must be a list");
    EXPECT_EQ(oneMessage(web({{"networks", {{"front", 5}}}})),
              "services.web.networks.front must be a mapping or null");
    EXPECT_EQ(oneMessage(web({{"cpu_percent", 150}})),
              "services.web.cpu_percent must be at most 100");
    EXPECT_EQ(oneMessage(web({{"oom_score_adj", -1001}})),
              "services.web.oom_score_adj must be at least -1000");
    EXPECT_EQ(oneMessage(web({{"volumes", {{{"type", "volume"}, {"tmpfs", {{"size", -1}}}}}}})),
              "services.web.volumes.0.tmpfs.size must be at least 0");
}

TEST(ComposeSchema, DependsOnConditions) {
    EXPECT_TRUE(web({{"depends_on", {"db", "cache"}}}).empty());
    EXPECT_EQ(oneMessage(web({{"depends_on", {{"db", {{"condition", "bogus"}}}}}})),
              "services.web.depends_on.db.condition must be one of: service_started, "
              "service_healthy, service_completed_successfully");
    auto missing = web({{"depends_on", {{"db", json::object()}}}});
    ASSERT_EQ(missing.size(), 1u) << describe(missing);
    EXPECT_EQ(missing[0].path, "services.web.depends_on.db");
    EXPECT_EQ(missing[0].message,
              "services.web.depends_on.db is missing required property condition");
    EXPECT_EQ(oneMessage(web({{"depends_on", {"db", "db"}}})),
              "services.web.depends_on must not contain duplicates (items 0 and 1 are both "
              "\"db\")");
    EXPECT_EQ(oneMessage(web({{"depends_on",
                               {{"db", {{"condition", "service_started"}, {"required", "no"}}}}}})),
              "services.web.depends_on.db.required must be a boolean");
}

TEST(ComposeSchema, OtherKeywordsOnTheRealSchema) {
    EXPECT_EQ(oneMessage(web({{"volumes", {{{"source", "x"}, {"target", "/x"}}}}})),
              "services.web.volumes.0 is missing required property type");
    EXPECT_EQ(oneMessage(web({{"volumes", {{{"type", "nfs"}, {"target", "/x"}}}}})),
              "services.web.volumes.0.type must be one of: bind, volume, tmpfs, cluster, npipe, "
              "image");
    EXPECT_EQ(oneMessage(web({{"container_name", "-"}})),
              "services.web.container_name must match the pattern [a-zA-Z0-9][a-zA-Z0-9_.-]+ "
              "(got \"-\")");
    EXPECT_EQ(oneMessage(web({{"cap_add", {"NET_ADMIN", "SYS_TIME", "NET_ADMIN"}}})),
              "services.web.cap_add must not contain duplicates (items 0 and 2 are both "
              "\"NET_ADMIN\")");
    EXPECT_EQ(oneMessage(web({{"ports", {"80:80", "80:80"}}})),
              "services.web.ports must not contain duplicates (items 0 and 1 are both \"80:80\")");
    EXPECT_EQ(oneMessage(web({{"ulimits", {{"nofile", {{"soft", 1}}}}}})),
              "services.web.ulimits.nofile is missing required property hard");
    EXPECT_EQ(oneMessage(web({{"cgroup", "shared"}})),
              "services.web.cgroup must be one of: host, private");
    // compose-spec wants deploy memory as a string; the loader types it after checking.
    EXPECT_EQ(oneMessage(web({{"deploy", {{"resources", {{"limits", {{"memory", 512}}}}}}}})),
              "services.web.deploy.resources.limits.memory must be a string");
}

TEST(ComposeSchema, LongPortWithoutTargetPassesTheSchema) {
    // The schema has no `required` for long ports; the loader checks the target.
    EXPECT_TRUE(web({{"ports", {json::object()}}}).empty());
}

TEST(ComposeSchema, AllIssuesAreReportedInDocumentOrder) {
    auto issues = compose(json::parse(R"({
      "services": {
        "a": {"image": 1, "restart": 2, "foo": 3},
        "b": {"ports": [true], "bar": 1}
      },
      "volumes": {"v": {"driver": 5}}
    })"));
    ASSERT_EQ(issues.size(), 6u) << describe(issues);
    EXPECT_EQ(issues[0].message, "services.a additional property foo is not allowed");
    EXPECT_EQ(issues[1].message, "services.a.image must be a string");
    EXPECT_EQ(issues[2].message, "services.a.restart must be a string");
    EXPECT_EQ(issues[3].message, "services.b additional property bar is not allowed");
    EXPECT_EQ(issues[4].message, "services.b.ports.0 must be a string, number or mapping");
    EXPECT_EQ(issues[5].message, "volumes.v.driver must be a string");
    EXPECT_EQ(std::count_if(issues.begin(), issues.end(),
                            [](const SchemaIssue& i) { return i.unknownKey; }),
              2);
}

// Keywords the compose schema does not use, on small schemas of their own.
std::vector<SchemaIssue> check(const char* schema, const char* doc) {
    auto s = Schema::parse(schema);
    EXPECT_TRUE(s.ok()) << s.error().str();
    if (!s.ok()) return {};
    return s->validate(json::parse(doc));
}

TEST(Schema, RefsAndDefinitions) {
    const char* s = R"({
      "definitions": {"port": {"type": "integer", "minimum": 1, "maximum": 65535},
                      "list": {"type": "array", "items": {"$ref": "#/definitions/port"}},
                      "a/b": {"type": "string"}},
      "type": "object",
      "properties": {"ports": {"$ref": "#/definitions/list"},
                     "slash": {"$ref": "#/definitions/a~1b"},
                     "self": {"$ref": "#"}}
    })";
    EXPECT_TRUE(check(s, R"({"ports": [1, 80], "slash": "x", "self": {"ports": []}})").empty());
    EXPECT_EQ(oneMessage(check(s, R"({"ports": [1, 0]})")), "ports.1 must be at least 1");
    EXPECT_EQ(oneMessage(check(s, R"({"slash": 1})")), "slash must be a string");
    EXPECT_EQ(oneMessage(check(s, R"({"self": {"self": {"ports": [70000]}}})")),
              "self.self.ports.0 must be at most 65535");
    EXPECT_EQ(oneMessage(check(s, R"({"ports": [1.5]})")), "ports.0 must be an integer");
}

TEST(Schema, PointersEscapeSlashAndTilde) {
    auto issues = check(R"({"additionalProperties": {"type": "string"}})", R"({"a/b~c": 1})");
    ASSERT_EQ(issues.size(), 1u);
    EXPECT_EQ(issues[0].pointer, "/a~1b~0c");
    EXPECT_EQ(issues[0].path, "a/b~c");
}

TEST(Schema, Combinators) {
    const char* s = R"({
      "properties": {
        "all": {"allOf": [{"type": "string"}, {"minLength": 3}]},
        "any": {"anyOf": [{"type": "string", "maxLength": 2}, {"type": "integer"}]},
        "one": {"oneOf": [{"type": "number"}, {"type": "integer"}]},
        "not": {"not": {"const": "forbidden"}},
        "cond": {"if": {"properties": {"kind": {"const": "a"}}},
                 "then": {"required": ["a"]}, "else": {"required": ["b"]}}
      }
    })";
    EXPECT_TRUE(check(s, R"({"all": "abc", "any": 5, "one": 1.5, "not": "ok",
                             "cond": {"kind": "a", "a": 1}})")
                    .empty());
    EXPECT_EQ(oneMessage(check(s, R"({"all": "ab"})")), "all must be at least 3 characters long");
    EXPECT_EQ(oneMessage(check(s, R"({"any": "abc"})")), "any must be at most 2 characters long");
    EXPECT_EQ(oneMessage(check(s, R"({"any": true})")), "any must be a string or integer");
    EXPECT_EQ(oneMessage(check(s, R"({"one": 2})")),
              "one must match exactly one allowed form, but matches 2");
    EXPECT_EQ(oneMessage(check(s, R"({"not": "forbidden"})")), "not is not allowed in this form");
    EXPECT_EQ(oneMessage(check(s, R"({"cond": {"kind": "b", "a": 1}})")),
              "cond is missing required property b");
}

TEST(Schema, ObjectAndArrayKeywords) {
    const char* s = R"({
      "properties": {
        "obj": {"minProperties": 1, "maxProperties": 2, "propertyNames": {"pattern": "^[a-z]+$"},
                "dependencies": {"a": ["b"], "c": {"required": ["d"]}}},
        "tuple": {"items": [{"type": "string"}, {"type": "integer"}], "additionalItems": false},
        "arr": {"minItems": 1, "maxItems": 2, "contains": {"const": 7}},
        "num": {"exclusiveMinimum": 0, "exclusiveMaximum": 10, "multipleOf": 0.5},
        "c": {"const": {"x": [1]}},
        "never": false,
        "str": {"type": "string", "format": "made-up-format", "deprecated": true}
      }
    })";
    EXPECT_TRUE(check(s, R"({"obj": {"a": 1, "b": 2}, "tuple": ["x", 1], "arr": [7],
                             "num": 2.5, "c": {"x": [1]}, "str": "anything"})")
                    .empty());
    EXPECT_EQ(oneMessage(check(s, R"({"obj": {}})")), "obj must have at least 1 properties");
    EXPECT_EQ(oneMessage(check(s, R"({"obj": {"a": 1, "b": 1, "e": 1}})")),
              "obj must have at most 2 properties");
    EXPECT_EQ(oneMessage(check(s, R"({"obj": {"A": 1}})")),
              "obj.A must match the pattern ^[a-z]+$ (got \"A\")");
    EXPECT_EQ(oneMessage(check(s, R"({"obj": {"a": 1}})")),
              "obj must have property b when a is set");
    EXPECT_EQ(oneMessage(check(s, R"({"obj": {"c": 1}})")), "obj is missing required property d");
    EXPECT_EQ(oneMessage(check(s, R"({"tuple": [1]})")), "tuple.0 must be a string");
    EXPECT_EQ(oneMessage(check(s, R"({"tuple": ["a", 1, 2]})")), "tuple must have at most 2 items");
    EXPECT_EQ(oneMessage(check(s, R"({"arr": [1, 2]})")),
              "arr must contain at least one matching item");
    auto empty = check(s, R"({"arr": []})");
    ASSERT_EQ(empty.size(), 2u) << describe(empty);
    EXPECT_EQ(empty[1].message, "arr must have at least 1 item");
    EXPECT_EQ(check(s, R"({"arr": [7, 7, 7]})")[0].message, "arr must have at most 2 items");
    EXPECT_EQ(oneMessage(check(s, R"({"num": 0})")), "num must be greater than 0");
    EXPECT_EQ(oneMessage(check(s, R"({"num": 10})")), "num must be less than 10");
    EXPECT_EQ(oneMessage(check(s, R"({"num": 2.2})")), "num must be a multiple of 0.5");
    EXPECT_EQ(oneMessage(check(s, R"({"c": {"x": [2]}})")), "c must be {\"x\":[1]}");
    EXPECT_EQ(oneMessage(check(s, R"({"never": null})")), "never is not allowed");
}

TEST(Schema, ParseErrors) {
    auto msg = [](const char* s) {
        auto r = Schema::parse(s);
        EXPECT_FALSE(r.ok()) << s;
        return r.ok() ? std::string() : r.error().str();
    };
    EXPECT_NE(msg("{").find("parsing compose schema: "), std::string::npos);
    EXPECT_EQ(msg(R"({"properties": {"a": {"$ref": "#/definitions/nope"}}})"),
              "compose schema: unresolvable $ref \"#/definitions/nope\"");
    EXPECT_EQ(msg(R"({"$ref": "other.json#/x"})"),
              "compose schema: unsupported $ref \"other.json#/x\"");
    EXPECT_EQ(msg(R"({"properties": {"a": {"type": "strng"}}})"),
              "compose schema at #/properties/a/type: unknown type \"strng\"");
    EXPECT_NE(msg(R"({"pattern": "(unclosed"})").find("compose schema at #/pattern: bad pattern"),
              std::string::npos);
    EXPECT_EQ(msg(R"({"properties": {"a": 5}})"),
              "compose schema at #/properties/a: a schema must be an object or a boolean");
}

}  // namespace
}  // namespace berth::compose
