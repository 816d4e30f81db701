#include "compose/convert.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "compose/hash.h"
#include "compose/labels.h"
#include "compose/project.h"

namespace berth::compose {
namespace {

using nlohmann::json;
using V = std::vector<std::string>;

// A project around one service `svc` (and whatever else the test adds to the model).
Project project(json svc, json extra = json::object()) {
    Project p;
    p.name = "demo";
    p.workingDir = "/src/demo";
    p.configFiles = {"/src/demo/compose.yaml", "/src/demo/compose.override.yaml"};
    p.env = {{"TOKEN", "s3cret"}, {"HOME_VAR", "from-env"}};
    if (!svc.contains("networks") && !svc.contains("network_mode"))
        svc["networks"] = {{"default", nullptr}};
    if (!svc.contains("scale")) svc["scale"] = 1;
    p.model = {{"name", "demo"},
               {"services", {{"web", svc}}},
               {"networks", {{"default", {{"name", "demo_default"}, {"external", false}}}}},
               {"volumes", json::object()},
               {"secrets", json::object()},
               {"configs", json::object()}};
    for (auto& [k, v] : extra.items()) {
        if (p.model.contains(k) && p.model[k].is_object())
            p.model[k].update(v);
        else
            p.model[k] = v;
    }
    return p;
}

json body(const Project& p, const CreateOptions& o = {}, int n = 1) {
    auto r = containerCreateBody(p, "web", n, o);
    EXPECT_TRUE(r) << r.error().str();
    return r ? *r : json();
}

std::string bodyError(const Project& p, const CreateOptions& o = {}) {
    auto r = containerCreateBody(p, "web", 1, o);
    return r ? "no error" : r.error().msg;
}

// ---- names -------------------------------------------------------------------------------------

TEST(Convert, Names) {
    Project p = project({{"image", "nginx"}});
    EXPECT_EQ(containerName(p, "web", 2), "demo-web-2");
    EXPECT_EQ(serviceImage(p, "web"), "nginx");
    p.model["services"]["web"]["container_name"] = "front";
    EXPECT_EQ(containerName(p, "web", 1), "front");
    p.model["services"]["web"].erase("image");
    p.model["services"]["web"]["build"] = {{"context", "/src/demo"}};
    EXPECT_EQ(serviceImage(p, "web"), "demo-web");

    std::string slug = newSlug();
    EXPECT_EQ(slug.size(), 64u);
    EXPECT_EQ(slug.find_first_not_of("0123456789abcdef"), std::string::npos);
    EXPECT_NE(slug, newSlug());
    EXPECT_EQ(oneoffContainerName(p, "web", slug), "demo-web-run-" + slug.substr(0, 12));
}

TEST(Convert, UnknownService) {
    Project p = project({{"image", "nginx"}});
    auto r = containerCreateBody(p, "nope", 1, {});
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().msg, "no such service: nope");
}

// ---- command, env, labels ----------------------------------------------------------------------

TEST(Convert, CommandEntrypointEnv) {
    Project p = project({{"image", "alpine"},
                         {"command", {"sh", "-c", "echo hi"}},
                         {"entrypoint", json::array()},
                         {"environment", {{"ZED", "z"}, {"ALPHA", "a"}, {"UNSET", nullptr}}}});
    json b = body(p);
    EXPECT_EQ(b["Image"], "alpine");
    EXPECT_EQ(b["Cmd"], json({"sh", "-c", "echo hi"}));
    EXPECT_EQ(b["Entrypoint"], json::array());
    EXPECT_EQ(b["Env"], json({"ALPHA=a", "ZED=z"}));

    CreateOptions o;
    o.commandOverride = V{"true"};
    o.entrypointOverride = V{"/bin/sh"};
    o.extraEnv = {"ZED=override", "HOME_VAR", "NOT_ANYWHERE", "NEW=1=2"};
    b = body(p, o);
    EXPECT_EQ(b["Cmd"], json({"true"}));
    EXPECT_EQ(b["Entrypoint"], json({"/bin/sh"}));
    EXPECT_EQ(b["Env"], json({"ALPHA=a", "HOME_VAR=from-env", "NEW=1=2", "ZED=override"}));

    // No command/entrypoint in the model: left to the image.
    p = project({{"image", "alpine"}});
    b = body(p);
    EXPECT_FALSE(b.contains("Cmd"));
    EXPECT_FALSE(b.contains("Entrypoint"));
    EXPECT_EQ(b["Env"], json::array());

    // A string command (not normalized) is split like a shell would.
    p = project({{"image", "alpine"}, {"command", "sh -c 'echo hi there'"}});
    EXPECT_EQ(body(p)["Cmd"], json({"sh", "-c", "echo hi there"}));
}

TEST(Convert, Labels) {
    json svc = {{"image", "nginx"},
                {"labels", {{"app", "web"}, {"com.docker.compose.project", "spoof"}}},
                {"depends_on",
                 {{"db", {{"condition", "service_healthy"}, {"required", true}, {"restart", true}}},
                  {"cache", {{"condition", "service_started"}, {"required", false}}}}}};
    Project p = project(svc);
    CreateOptions o;
    o.imageId = "sha256:abc";
    json l = body(p, o, 3)["Labels"];
    EXPECT_EQ(l["app"], "web");
    EXPECT_EQ(l[label::kProject], "demo");
    EXPECT_EQ(l[label::kService], "web");
    EXPECT_EQ(l[label::kContainerNumber], "3");
    EXPECT_EQ(l[label::kConfigHash], configHash(p.model["services"]["web"]));
    EXPECT_EQ(l[label::kOneoff], "False");
    EXPECT_EQ(l[label::kWorkingDir], "/src/demo");
    EXPECT_EQ(l[label::kConfigFiles], "/src/demo/compose.yaml,/src/demo/compose.override.yaml");
    EXPECT_EQ(l[label::kVersion], "2.29.0");
    EXPECT_EQ(l[label::kDependsOn], "cache:service_started:false,db:service_healthy:true");
    EXPECT_EQ(l[label::kImage], "sha256:abc");
    EXPECT_FALSE(l.contains(label::kSlug));
    EXPECT_FALSE(l.contains(label::kReplace));

    o = {};
    o.oneoff = true;
    o.slug = std::string(64, 'a');
    o.replaces = "old-id";
    o.extraLabels = {{"run", "yes"}};
    l = body(p, o)["Labels"];
    EXPECT_EQ(l[label::kOneoff], "True");
    EXPECT_EQ(l[label::kSlug], std::string(64, 'a'));
    EXPECT_EQ(l[label::kReplace], "old-id");
    EXPECT_EQ(l["run"], "yes");
    EXPECT_FALSE(l.contains(label::kImage));

    // The hash ignores the scale: scaling does not make containers look outdated.
    Project scaled = p;
    scaled.model["services"]["web"]["scale"] = 4;
    EXPECT_EQ(body(scaled)["Labels"][label::kConfigHash], body(p)["Labels"][label::kConfigHash]);
}

TEST(Convert, PlainConfigFields) {
    Project p = project({{"image", "nginx"},
                         {"hostname", "h1"},
                         {"domainname", "example.org"},
                         {"user", "1000:1000"},
                         {"working_dir", "/app"},
                         {"stop_signal", "SIGINT"},
                         {"stop_grace_period", "1m30.9s"},
                         {"tty", true},
                         {"stdin_open", true}});
    json b = body(p);
    EXPECT_EQ(b["Hostname"], "h1");
    EXPECT_EQ(b["Domainname"], "example.org");
    EXPECT_EQ(b["User"], "1000:1000");
    EXPECT_EQ(b["WorkingDir"], "/app");
    EXPECT_EQ(b["StopSignal"], "SIGINT");
    EXPECT_EQ(b["StopTimeout"], 90);
    EXPECT_EQ(b["Tty"], true);
    EXPECT_EQ(b["OpenStdin"], true);
    EXPECT_EQ(b["AttachStdin"], false);
    EXPECT_EQ(b["AttachStdout"], true);
    EXPECT_EQ(b["StdinOnce"], false);

    CreateOptions o;
    o.tty = false;
    o.attachStdin = true;
    o.user = "root";
    o.workingDir = "/";
    b = body(p, o);
    EXPECT_EQ(b["Tty"], false);
    EXPECT_EQ(b["OpenStdin"], true);
    EXPECT_EQ(b["StdinOnce"], true);
    EXPECT_EQ(b["User"], "root");
    EXPECT_EQ(b["WorkingDir"], "/");

    p = project({{"image", "nginx"}});
    b = body(p);
    for (const char* k : {"Hostname", "Domainname", "User", "WorkingDir", "StopSignal",
                          "StopTimeout", "Healthcheck", "ExposedPorts"})
        EXPECT_FALSE(b.contains(k)) << k;

    p = project({{"image", "nginx"}, {"stop_grace_period", "soon"}});
    EXPECT_EQ(bodyError(p), "service \"web\": stop_grace_period: time: invalid duration \"soon\"");
}

// ---- ports -------------------------------------------------------------------------------------

struct PortCase {
    json ports;
    json expose;
    json exposed;   // expected ExposedPorts (null: absent)
    json bindings;  // expected HostConfig.PortBindings (null: absent)
};

TEST(Convert, Ports) {
    auto port = [](json target, const char* published = nullptr, const char* ip = nullptr,
                   const char* proto = "tcp") {
        json j = {{"mode", "ingress"}, {"target", target}, {"protocol", proto}};
        if (published) j["published"] = published;
        if (ip) j["host_ip"] = ip;
        return j;
    };
    std::vector<PortCase> cases = {
        {{port(80, "8080")},
         nullptr,
         {{"80/tcp", json::object()}},
         {{"80/tcp", {{{"HostIp", ""}, {"HostPort", "8080"}}}}}},
        {{port(80, nullptr, "127.0.0.1")},
         nullptr,
         {{"80/tcp", json::object()}},
         {{"80/tcp", {{{"HostIp", "127.0.0.1"}, {"HostPort", ""}}}}}},
        {{port(53, "5353", nullptr, "udp"), port(53, "5353")},
         nullptr,
         {{"53/udp", json::object()}, {"53/tcp", json::object()}},
         {{"53/udp", {{{"HostIp", ""}, {"HostPort", "5353"}}}},
          {"53/tcp", {{{"HostIp", ""}, {"HostPort", "5353"}}}}}},
        // One container port, a host range: the engine picks a free one in it.
        {{port(80, "8000-8002")},
         nullptr,
         {{"80/tcp", json::object()}},
         {{"80/tcp", {{{"HostIp", ""}, {"HostPort", "8000-8002"}}}}}},
        // A container range is matched one to one.
        {{port("80-81", "9080-9081", "0.0.0.0")},
         nullptr,
         {{"80/tcp", json::object()}, {"81/tcp", json::object()}},
         {{"80/tcp", {{{"HostIp", "0.0.0.0"}, {"HostPort", "9080"}}}},
          {"81/tcp", {{{"HostIp", "0.0.0.0"}, {"HostPort", "9081"}}}}}},
        // The same container port twice: two bindings.
        {{port(80, "8080"), port(80, "8081", "::1")},
         nullptr,
         {{"80/tcp", json::object()}},
         {{"80/tcp",
           {{{"HostIp", ""}, {"HostPort", "8080"}}, {{"HostIp", "::1"}, {"HostPort", "8081"}}}}}},
        // expose: exposed only, ranges expanded.
        {json::array(),
         {"3000", "4000-4001/udp"},
         {{"3000/tcp", json::object()}, {"4000/udp", json::object()}, {"4001/udp", json::object()}},
         nullptr},
    };
    for (size_t i = 0; i < cases.size(); i++) {
        json svc = {{"image", "nginx"}, {"ports", cases[i].ports}};
        if (!cases[i].expose.is_null()) svc["expose"] = cases[i].expose;
        json b = body(project(svc));
        EXPECT_EQ(b.value("ExposedPorts", json()), cases[i].exposed) << "case " << i;
        EXPECT_EQ(b["HostConfig"].value("PortBindings", json()), cases[i].bindings) << "case " << i;
    }

    // run without --service-ports: `ports` is ignored, `expose` is not.
    Project p = project({{"image", "nginx"}, {"ports", {port(80, "8080")}}, {"expose", {"90"}}});
    CreateOptions o;
    o.publishPorts = false;
    json b = body(p, o);
    EXPECT_EQ(b["ExposedPorts"], json({{"90/tcp", json::object()}}));
    EXPECT_FALSE(b["HostConfig"].contains("PortBindings"));

    p = project({{"image", "nginx"}, {"ports", {port("80-82", "9000-9001")}}});
    EXPECT_EQ(bodyError(p),
              "service \"web\": invalid ranges specified for container and host ports: 80-82 and "
              "9000-9001");
    p = project({{"image", "nginx"}, {"expose", {"http"}}});
    EXPECT_EQ(bodyError(p), "service \"web\": invalid exposed port: http");
}

// ---- mounts ------------------------------------------------------------------------------------

TEST(Convert, Mounts) {
    json vols = {
        {{"type", "bind"},
         {"source", "/src/demo/data"},
         {"target", "/data"},
         {"bind", {{"create_host_path", true}}}},
        {{"type", "bind"},
         {"source", "/src/demo/conf"},
         {"target", "/conf"},
         {"read_only", true},
         {"bind", {{"create_host_path", true}, {"selinux", "z"}}}},
        {{"type", "bind"}, {"source", "/etc/hosts"}, {"target", "/h"}, {"read_only", true}},
        {{"type", "bind"},
         {"source", "/mnt"},
         {"target", "/mnt"},
         {"bind", {{"create_host_path", true}, {"propagation", "rshared"}}}},
        {{"type", "volume"},
         {"source", "db"},
         {"target", "/var/lib/db"},
         {"volume", {{"nocopy", true}}}},
        {{"type", "volume"}, {"source", "ext"}, {"target", "/ext"}, {"read_only", true}},
        {{"type", "volume"}, {"target", "/cache"}},
        {{"type", "tmpfs"}, {"target", "/scratch"}, {"tmpfs", {{"size", 1048576}, {"mode", 1777}}}},
    };
    json extra = {{"volumes",
                   {{"db", {{"name", "demo_db"}, {"external", false}}},
                    {"ext", {{"name", "shared-data"}, {"external", true}}}}}};
    Project p = project(
        {{"image", "pg"}, {"volumes", vols}, {"tmpfs", {"/run", "/tmp:size=64m,mode=1777"}}},
        extra);
    json hc = body(p)["HostConfig"];
    EXPECT_EQ(hc["Binds"], json({"/src/demo/data:/data:rw", "/src/demo/conf:/conf:ro,z"}));
    json want = json::array({
        {{"Type", "bind"}, {"Source", "/etc/hosts"}, {"Target", "/h"}, {"ReadOnly", true}},
        {{"Type", "bind"},
         {"Source", "/mnt"},
         {"Target", "/mnt"},
         {"BindOptions", {{"Propagation", "rshared"}, {"CreateMountpoint", true}}}},
        {{"Type", "volume"},
         {"Source", "demo_db"},
         {"Target", "/var/lib/db"},
         {"VolumeOptions", {{"NoCopy", true}}}},
        {{"Type", "volume"}, {"Source", "shared-data"}, {"Target", "/ext"}, {"ReadOnly", true}},
        {{"Type", "volume"}, {"Target", "/cache"}},
        {{"Type", "tmpfs"},
         {"Target", "/scratch"},
         {"TmpfsOptions", {{"SizeBytes", 1048576}, {"Mode", 1777}}}},
    });
    EXPECT_EQ(hc["Mounts"], want);
    EXPECT_EQ(hc["Tmpfs"], json({{"/run", ""}, {"/tmp", "size=64m,mode=1777"}}));

    p = project({{"image", "pg"}, {"volumes", {{{"type", "volume"}, {"source", "x"}}}}});
    EXPECT_EQ(bodyError(p), "service \"web\": volume of type volume has no target");
}

// ---- secrets and configs -----------------------------------------------------------------------

TEST(Convert, SecretsAndConfigs) {
    json extra = {{"secrets",
                   {{"db_pass", {{"name", "demo_db_pass"}, {"file", "/src/demo/pass.txt"}}},
                    {"token", {{"name", "demo_token"}, {"environment", "TOKEN"}}},
                    {"inline", {{"name", "demo_inline"}, {"content", "hello"}}}}},
                  {"configs",
                   {{"nginx", {{"name", "demo_nginx"}, {"file", "/src/demo/nginx.conf"}}},
                    {"motd", {{"name", "demo_motd"}, {"content", "welcome\n"}}}}}};
    json svc = {{"image", "nginx"},
                {"secrets",
                 {{{"source", "db_pass"}},
                  {{"source", "db_pass"}, {"target", "/etc/pass"}},
                  {{"source", "token"}, {"target", "api_token"}, {"mode", 0400}, {"uid", "1000"}},
                  {{"source", "inline"}}}},
                {"configs",
                 {{{"source", "nginx"}, {"target", "/etc/nginx/nginx.conf"}},
                  {{"source", "nginx"}},
                  {{"source", "motd"}, {"gid", "50"}}}}};
    Project p = project(svc, extra);
    json want = json::array({
        {{"Type", "bind"},
         {"Source", "/src/demo/pass.txt"},
         {"Target", "/run/secrets/db_pass"},
         {"ReadOnly", true}},
        {{"Type", "bind"},
         {"Source", "/src/demo/pass.txt"},
         {"Target", "/etc/pass"},
         {"ReadOnly", true}},
        {{"Type", "bind"},
         {"Source", "/src/demo/nginx.conf"},
         {"Target", "/etc/nginx/nginx.conf"},
         {"ReadOnly", true}},
        {{"Type", "bind"},
         {"Source", "/src/demo/nginx.conf"},
         {"Target", "/nginx"},
         {"ReadOnly", true}},
    });
    EXPECT_EQ(body(p)["HostConfig"]["Mounts"], want);

    auto files = injectedFiles(p, "web");
    ASSERT_TRUE(files) << files.error().str();
    ASSERT_EQ(files->size(), 3u);
    EXPECT_EQ((*files)[0].path, "/run/secrets/api_token");
    EXPECT_EQ((*files)[0].content, "s3cret");
    EXPECT_EQ((*files)[0].mode, 0400u);
    EXPECT_EQ((*files)[0].uid, 1000);
    EXPECT_EQ((*files)[0].gid, 0);
    EXPECT_EQ((*files)[1].path, "/run/secrets/inline");
    EXPECT_EQ((*files)[1].content, "hello");
    EXPECT_EQ((*files)[1].mode, 0444u);
    EXPECT_EQ((*files)[2].path, "/motd");
    EXPECT_EQ((*files)[2].content, "welcome\n");
    EXPECT_EQ((*files)[2].gid, 50);

    p.model["secrets"]["token"]["environment"] = "BERTH_TEST_SURELY_UNSET_VAR";
    files = injectedFiles(p, "web");
    ASSERT_FALSE(files);
    EXPECT_EQ(files.error().msg,
              "environment variable \"BERTH_TEST_SURELY_UNSET_VAR\" required by secret \"token\" "
              "is not set");

    p = project({{"image", "nginx"}, {"secrets", {{{"source", "swarm"}}}}},
                {{"secrets", {{"swarm", {{"name", "swarm"}, {"external", true}}}}}});
    EXPECT_EQ(
        bodyError(p),
        "service \"web\": unsupported external secret swarm: external secrets need swarm mode");
}

// ---- healthcheck -------------------------------------------------------------------------------

TEST(Convert, Healthcheck) {
    Project p = project({{"image", "nginx"},
                         {"healthcheck",
                          {{"test", {"CMD", "curl", "-f", "http://localhost"}},
                           {"interval", "1m30s"},
                           {"timeout", "10s"},
                           {"start_period", "1.5s"},
                           {"start_interval", "500ms"},
                           {"retries", 3}}}});
    EXPECT_EQ(body(p)["Healthcheck"], json({{"Test", {"CMD", "curl", "-f", "http://localhost"}},
                                            {"Interval", 90000000000LL},
                                            {"Timeout", 10000000000LL},
                                            {"StartPeriod", 1500000000LL},
                                            {"StartInterval", 500000000LL},
                                            {"Retries", 3}}));
    p = project({{"image", "nginx"}, {"healthcheck", {{"disable", true}}}});
    EXPECT_EQ(body(p)["Healthcheck"], json({{"Test", {"NONE"}}}));
    // Only a new interval: the image's test stays (the engine merges).
    p = project({{"image", "nginx"}, {"healthcheck", {{"interval", "5s"}}}});
    EXPECT_EQ(body(p)["Healthcheck"], json({{"Interval", 5000000000LL}}));
    p = project({{"image", "nginx"}, {"healthcheck", {{"interval", "5"}}}});
    EXPECT_EQ(bodyError(p),
              "service \"web\": healthcheck interval: time: missing unit in duration \"5\"");
}

// ---- restart policies --------------------------------------------------------------------------

TEST(Convert, RestartPolicies) {
    struct Case {
        json svc;
        json want;  // null: no RestartPolicy
    };
    std::vector<Case> cases = {
        {{{"restart", "no"}}, {{"Name", "no"}, {"MaximumRetryCount", 0}}},
        {{{"restart", "always"}}, {{"Name", "always"}, {"MaximumRetryCount", 0}}},
        {{{"restart", "unless-stopped"}}, {{"Name", "unless-stopped"}, {"MaximumRetryCount", 0}}},
        {{{"restart", "on-failure"}}, {{"Name", "on-failure"}, {"MaximumRetryCount", 0}}},
        {{{"restart", "on-failure:3"}}, {{"Name", "on-failure"}, {"MaximumRetryCount", 3}}},
        {{{"deploy", {{"restart_policy", {{"condition", "on-failure"}, {"max_attempts", 5}}}}}},
         {{"Name", "on-failure"}, {"MaximumRetryCount", 5}}},
        {{{"deploy", {{"restart_policy", {{"condition", "any"}}}}}},
         {{"Name", "always"}, {"MaximumRetryCount", 0}}},
        {{{"deploy", {{"restart_policy", {{"condition", "none"}}}}}},
         {{"Name", "no"}, {"MaximumRetryCount", 0}}},
        {json::object(), nullptr},
    };
    for (size_t i = 0; i < cases.size(); i++) {
        json svc = cases[i].svc;
        svc["image"] = "nginx";
        EXPECT_EQ(body(project(svc))["HostConfig"].value("RestartPolicy", json()), cases[i].want)
            << "case " << i;
    }
    CreateOptions run;
    run.oneoff = true;
    run.removeOnExit = true;
    json hc = body(project({{"image", "nginx"}, {"restart", "always"}}), run)["HostConfig"];
    EXPECT_FALSE(hc.contains("RestartPolicy"));
    EXPECT_EQ(hc["AutoRemove"], true);
    EXPECT_EQ(bodyError(project({{"image", "nginx"}, {"restart", "sometimes"}})),
              "service \"web\": invalid restart policy \"sometimes\"");
    EXPECT_EQ(bodyError(project({{"image", "nginx"}, {"restart", "on-failure:x"}})),
              "service \"web\": invalid restart policy \"on-failure:x\"");
}

// ---- resources ---------------------------------------------------------------------------------

TEST(Convert, Resources) {
    json deploy = {{"resources",
                    {{"limits", {{"cpus", "0.5"}, {"memory", 536870912}, {"pids", 100}}},
                     {"reservations", {{"memory", 67108864}}}}}};
    json hc = body(project({{"image", "nginx"}, {"deploy", deploy}}))["HostConfig"];
    EXPECT_EQ(hc["NanoCpus"], 500000000);
    EXPECT_EQ(hc["Memory"], 536870912);
    EXPECT_EQ(hc["PidsLimit"], 100);
    EXPECT_EQ(hc["MemoryReservation"], 67108864);

    // Service-level settings win over deploy.resources.
    hc = body(project({{"image", "nginx"},
                       {"deploy", deploy},
                       {"mem_limit", 1073741824},
                       {"cpus", 1.25},
                       {"pids_limit", 7},
                       {"mem_reservation", "32m"},
                       {"memswap_limit", "2g"},
                       {"shm_size", "64m"},
                       {"cpu_shares", 512},
                       {"cpuset", "0-1"},
                       {"oom_score_adj", -100},
                       {"blkio_config", {{"weight", 300}}}}))["HostConfig"];
    EXPECT_EQ(hc["Memory"], 1073741824);
    EXPECT_EQ(hc["NanoCpus"], 1250000000);
    EXPECT_EQ(hc["PidsLimit"], 7);
    EXPECT_EQ(hc["MemoryReservation"], 33554432);
    EXPECT_EQ(hc["MemorySwap"], 2147483648LL);
    EXPECT_EQ(hc["ShmSize"], 67108864);
    EXPECT_EQ(hc["CpuShares"], 512);
    EXPECT_EQ(hc["CpusetCpus"], "0-1");
    EXPECT_EQ(hc["OomScoreAdj"], -100);
    EXPECT_EQ(hc["BlkioWeight"], 300);

    hc = body(project({{"image", "nginx"}}))["HostConfig"];
    for (const char* k : {"Memory", "NanoCpus", "PidsLimit", "MemoryReservation", "ShmSize"})
        EXPECT_FALSE(hc.contains(k)) << k;
    EXPECT_EQ(bodyError(project({{"image", "nginx"}, {"cpus", "lots"}})),
              "service \"web\": cpus: invalid number of CPUs \"lots\"");
    EXPECT_EQ(bodyError(project({{"image", "nginx"}, {"shm_size", "64x"}})),
              "service \"web\": shm_size: invalid suffix: 'x'");
}

// ---- other host config -------------------------------------------------------------------------

TEST(Convert, HostConfigFields) {
    Project p =
        project({{"image", "nginx"},
                 {"cap_add", {"NET_ADMIN"}},
                 {"cap_drop", {"ALL"}},
                 {"privileged", true},
                 {"read_only", true},
                 {"init", true},
                 {"ulimits", {{"nofile", {{"soft", 1024}, {"hard", 2048}}}, {"nproc", 65535}}},
                 {"sysctls", {{"net.core.somaxconn", "1024"}, {"net.ipv4.ip_forward", 1}}},
                 {"extra_hosts", {"db.local:10.0.0.5", "gw:host-gateway"}},
                 {"dns", {"1.1.1.1"}},
                 {"dns_search", {"example.org"}},
                 {"dns_opt", {"ndots:2"}},
                 {"security_opt", {"no-new-privileges:true"}},
                 {"group_add", {"audio", 44}},
                 {"devices", {"/dev/fuse", "/dev/sda:/dev/xvda:r"}},
                 {"logging", {{"driver", "json-file"}, {"options", {{"max-size", "10m"}}}}},
                 {"pid", "host"},
                 {"volumes_from", {"other:ro", "container:legacy"}},
                 {"links", {"db:database", "cache"}}});
    json hc = body(p)["HostConfig"];
    EXPECT_EQ(hc["CapAdd"], json({"NET_ADMIN"}));
    EXPECT_EQ(hc["CapDrop"], json({"ALL"}));
    EXPECT_EQ(hc["Privileged"], true);
    EXPECT_EQ(hc["ReadonlyRootfs"], true);
    EXPECT_EQ(hc["Init"], true);
    EXPECT_EQ(hc["Ulimits"], json({{{"Name", "nofile"}, {"Soft", 1024}, {"Hard", 2048}},
                                   {{"Name", "nproc"}, {"Soft", 65535}, {"Hard", 65535}}}));
    EXPECT_EQ(hc["Sysctls"], json({{"net.core.somaxconn", "1024"}, {"net.ipv4.ip_forward", "1"}}));
    EXPECT_EQ(hc["ExtraHosts"], json({"db.local:10.0.0.5", "gw:host-gateway"}));
    EXPECT_EQ(hc["Dns"], json({"1.1.1.1"}));
    EXPECT_EQ(hc["DnsSearch"], json({"example.org"}));
    EXPECT_EQ(hc["DnsOptions"], json({"ndots:2"}));
    EXPECT_EQ(hc["SecurityOpt"], json({"no-new-privileges:true"}));
    EXPECT_EQ(hc["GroupAdd"], json({"audio", "44"}));
    EXPECT_EQ(hc["Devices"], json({{{"PathOnHost", "/dev/fuse"},
                                    {"PathInContainer", "/dev/fuse"},
                                    {"CgroupPermissions", "rwm"}},
                                   {{"PathOnHost", "/dev/sda"},
                                    {"PathInContainer", "/dev/xvda"},
                                    {"CgroupPermissions", "r"}}}));
    EXPECT_EQ(hc["LogConfig"], json({{"Type", "json-file"}, {"Config", {{"max-size", "10m"}}}}));
    EXPECT_EQ(hc["PidMode"], "host");
    EXPECT_EQ(hc["VolumesFrom"], json({"demo-other-1:ro", "legacy"}));
    EXPECT_EQ(hc["Links"], json({"demo-db-1:database", "demo-cache-1:cache"}));
}

// ---- networks ----------------------------------------------------------------------------------

TEST(Convert, Networks) {
    json svc = {{"image", "nginx"},
                {"mac_address", "02:42:ac:11:00:02"},
                {"networks",
                 {{"back", {{"aliases", {"api", "web"}}, {"ipv4_address", "172.28.0.10"}}},
                  {"front", {{"priority", 10}}},
                  {"default", nullptr}}}};
    json extra = {{"networks",
                   {{"back", {{"name", "demo_back"}, {"external", false}}},
                    {"front", {{"name", "shared-front"}, {"external", true}}}}}};
    Project p = project(svc, extra);
    EXPECT_EQ(serviceNetworkKeys(p, "web"), (V{"front", "back", "default"}));

    json b = body(p);
    EXPECT_EQ(b["HostConfig"]["NetworkMode"], "shared-front");
    EXPECT_EQ(
        b["NetworkingConfig"],
        json({{"EndpointsConfig",
               {{"shared-front", {{"Aliases", {"web"}}, {"MacAddress", "02:42:ac:11:00:02"}}}}}}));

    EXPECT_EQ(
        endpointConfig(p, "web", "back", false),
        json({{"Aliases", {"web", "api"}}, {"IPAMConfig", {{"IPv4Address", "172.28.0.10"}}}}));
    EXPECT_EQ(endpointConfig(p, "web", "back", true),
              json({{"IPAMConfig", {{"IPv4Address", "172.28.0.10"}}}}));

    CreateOptions o;
    o.primaryNetwork = "back";
    o.oneoff = true;
    b = body(p, o);
    EXPECT_EQ(b["HostConfig"]["NetworkMode"], "demo_back");
    EXPECT_EQ(b["NetworkingConfig"]["EndpointsConfig"],
              json({{"demo_back",
                     {{"IPAMConfig", {{"IPv4Address", "172.28.0.10"}}},
                      {"MacAddress", "02:42:ac:11:00:02"}}}}));

    // The implicit default network.
    b = body(project({{"image", "nginx"}}));
    EXPECT_EQ(b["HostConfig"]["NetworkMode"], "demo_default");
    EXPECT_EQ(b["NetworkingConfig"],
              json({{"EndpointsConfig", {{"demo_default", {{"Aliases", {"web"}}}}}}}));

    // network_mode: no endpoints, no connect list.
    struct Case {
        const char* mode;
        const char* want;
    };
    for (auto [mode, want] :
         {Case{"host", "host"}, Case{"none", "none"}, Case{"service:vpn", "container:demo-vpn-1"},
          Case{"container:abc", "container:abc"}, Case{"disabled", "none"}}) {
        p = project({{"image", "nginx"}, {"network_mode", mode}});
        b = body(p);
        EXPECT_EQ(b["HostConfig"]["NetworkMode"], want) << mode;
        EXPECT_FALSE(b.contains("NetworkingConfig")) << mode;
        EXPECT_TRUE(serviceNetworkKeys(p, "web").empty()) << mode;
    }
    EXPECT_EQ(body(project({{"image", "nginx"}, {"network_mode", "disabled"}}))["NetworkDisabled"],
              true);
}

TEST(Convert, NetworkAndVolumeCreateBodies) {
    json extra = {
        {"networks",
         {{"back",
           {{"name", "demo_back"},
            {"external", false},
            {"internal", true},
            {"attachable", true},
            {"enable_ipv6", false},
            {"driver_opts", {{"com.docker.network.bridge.name", "br-back"}, {"mtu", 1400}}},
            {"labels", {{"tier", "backend"}}},
            {"ipam",
             {{"config",
               {{{"subnet", "172.28.0.0/16"},
                 {"gateway", "172.28.0.1"},
                 {"ip_range", "172.28.5.0/24"}}}}}}}}}},
        {"volumes",
         {{"db",
           {{"name", "demo_db"},
            {"external", false},
            {"driver_opts", {{"type", "tmpfs"}, {"device", "tmpfs"}}},
            {"labels", {{"backup", "yes"}}}}},
          {"plain", {{"name", "demo_plain"}, {"external", false}}}}}};
    Project p = project({{"image", "nginx"}}, extra);
    EXPECT_EQ(networkCreateBody(p, "back"),
              json({{"Name", "demo_back"},
                    {"Driver", "bridge"},
                    {"Internal", true},
                    {"Attachable", true},
                    {"EnableIPv6", false},
                    {"Options", {{"com.docker.network.bridge.name", "br-back"}, {"mtu", "1400"}}},
                    {"IPAM",
                     {{"Driver", "default"},
                      {"Config",
                       {{{"Subnet", "172.28.0.0/16"},
                         {"Gateway", "172.28.0.1"},
                         {"IPRange", "172.28.5.0/24"}}}},
                      {"Options", json::object()}}},
                    {"Labels",
                     {{"tier", "backend"},
                      {"com.docker.compose.network", "back"},
                      {"com.docker.compose.project", "demo"},
                      {"com.docker.compose.version", "2.29.0"}}}}));
    EXPECT_EQ(networkCreateBody(p, "default"),
              json({{"Name", "demo_default"},
                    {"Driver", "bridge"},
                    {"Internal", false},
                    {"Attachable", false},
                    {"Options", json::object()},
                    {"Labels",
                     {{"com.docker.compose.network", "default"},
                      {"com.docker.compose.project", "demo"},
                      {"com.docker.compose.version", "2.29.0"}}}}));
    EXPECT_EQ(volumeCreateBody(p, "db"),
              json({{"Name", "demo_db"},
                    {"Driver", "local"},
                    {"DriverOpts", {{"type", "tmpfs"}, {"device", "tmpfs"}}},
                    {"Labels",
                     {{"backup", "yes"},
                      {"com.docker.compose.volume", "db"},
                      {"com.docker.compose.project", "demo"},
                      {"com.docker.compose.version", "2.29.0"}}}}));
    EXPECT_EQ(volumeCreateBody(p, "plain")["DriverOpts"], json::object());
    EXPECT_EQ(networkName(p, "back"), "demo_back");
    EXPECT_EQ(volumeName(p, "db"), "demo_db");
    EXPECT_EQ(volumeName(p, "undeclared"), "demo_undeclared");
}

TEST(Convert, UnsupportedServiceKeys) {
    json svc = {
        {"image", "nginx"},
        {"pid", "host"},
        {"links", {"db"}},
        {"blkio_config", {{"weight", 100}, {"device_read_bps", json::array()}}},
        {"entrypoint", json::array()},
        {"volumes",
         {{{"type", "volume"}, {"source", "x"}, {"target", "/x"}, {"volume", {{"subpath", "a"}}}}}},
        {"cap_add", {"NET_ADMIN"}}};
    EXPECT_EQ(unsupportedServiceKeys(svc), (V{"blkio_config.device_read_bps",
                                              "entrypoint (an empty entrypoint keeps the image's)",
                                              "links", "pid", "volumes[].volume.subpath"}));
    EXPECT_TRUE(unsupportedServiceKeys(json{{"image", "nginx"}, {"cap_add", {"X"}}}).empty());
}

}  // namespace
}  // namespace berth::compose
