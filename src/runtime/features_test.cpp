#include "runtime/features.h"

#include <gtest/gtest.h>
#include <sys/capability.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <regex>

#include <nlohmann/json.hpp>

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

// As in spec_parse_test.cpp: $BERTH_SPECS_DIR or <repo>/../shared/specs/oci-runtime.
fs::path specsDir() {
    if (const char* env = std::getenv("BERTH_SPECS_DIR")) {
        fs::path p(env);
        if (fs::exists(p / "oci-runtime" / "features-schema.json")) return p / "oci-runtime";
        if (fs::exists(p / "features-schema.json")) return p;
    }
    fs::path repo = fs::path(__FILE__).parent_path().parent_path().parent_path();
    fs::path p = repo.parent_path() / "shared" / "specs" / "oci-runtime";
    return fs::exists(p / "features-schema.json") ? p : fs::path();
}

json load(const fs::path& p) {
    std::ifstream in(p);
    return json::parse(in);
}

json features() {
    json f = json::parse(berth::features::featuresJson(), nullptr, false);
    EXPECT_FALSE(f.is_discarded());
    return f;
}

// Every element of `values` is in `allowed`.
void expectSubset(const json& values, const json& allowed, const char* what) {
    ASSERT_TRUE(values.is_array()) << what;
    for (const auto& v : values) {
        EXPECT_NE(std::find(allowed.begin(), allowed.end(), v), allowed.end())
            << what << ": " << v << " is not in the schema's enum";
    }
}

TEST(Features, VersionsAndRequiredFields) {
    json f = features();
    EXPECT_EQ(f["ociVersionMin"], "1.0.0");
    EXPECT_EQ(f["ociVersionMax"], "1.3.0");
    EXPECT_EQ(f["hooks"].size(), 6u);
    EXPECT_EQ(f["potentiallyUnsafeConfigAnnotations"], json::array());
    EXPECT_TRUE(f["annotations"].contains("io.github.seccomp.libseccomp.version"));
    const json& l = f["linux"];
    EXPECT_EQ(l["cgroup"], (json{{"v1", true},
                                 {"v2", true},
                                 {"systemd", false},
                                 {"systemdUser", false},
                                 {"rdma", false}}));
    EXPECT_EQ(l["apparmor"]["enabled"], false);
    EXPECT_EQ(l["selinux"]["enabled"], false);
    EXPECT_EQ(l["intelRdt"]["enabled"], false);
    EXPECT_EQ(l["mountExtensions"]["idmap"]["enabled"], true);
    EXPECT_EQ(l["seccomp"]["enabled"], true);
}

TEST(Features, ValuesAreThoseTheSchemaKnows) {
    fs::path dir = specsDir();
    if (dir.empty())
        GTEST_SKIP() << "runtime-spec copy not found (../shared/specs or BERTH_SPECS_DIR)";
    json defs = load(dir / "defs-linux.json")["definitions"];
    json schema = load(dir / "features-schema.json");
    json linuxSchema = load(dir / "features-linux.json")["linux"]["properties"];
    json f = features();
    for (const auto& [key, _] : f.items()) {
        EXPECT_TRUE(schema["properties"].contains(key)) << "unknown top-level key " << key;
    }
    for (const auto& [key, _] : f["linux"].items()) {
        EXPECT_TRUE(linuxSchema.contains(key)) << "unknown linux key " << key;
    }
    const json& l = f["linux"];
    expectSubset(l["namespaces"], defs["NamespaceType"]["enum"], "namespaces");
    EXPECT_EQ(l["namespaces"].size(), defs["NamespaceType"]["enum"].size());
    expectSubset(l["seccomp"]["actions"], defs["SeccompAction"]["enum"], "actions");
    expectSubset(l["seccomp"]["operators"], defs["SeccompOperators"]["enum"], "operators");
    expectSubset(l["seccomp"]["archs"], defs["SeccompArch"]["enum"], "archs");
    expectSubset(l["seccomp"]["knownFlags"], defs["SeccompFlag"]["enum"], "knownFlags");
    expectSubset(l["seccomp"]["supportedFlags"], l["seccomp"]["knownFlags"], "supportedFlags");
    std::regex capPattern("^CAP_[A-Z_]+$");
    for (const auto& c : l["capabilities"]) {
        EXPECT_TRUE(std::regex_match(c.get<std::string>(), capPattern)) << c;
    }
}

TEST(Features, SeccompPartsComeFromTheLinkedLibseccomp) {
    json s = features()["linux"]["seccomp"];
#if defined(__x86_64__)
    auto archs = s["archs"];
    EXPECT_NE(std::find(archs.begin(), archs.end(), "SCMP_ARCH_X86_64"), archs.end());
    EXPECT_NE(std::find(archs.begin(), archs.end(), "SCMP_ARCH_X32"), archs.end());
#endif
    // libseccomp >= 2.4 reports API level >= 2, which TSYNC needs.
    auto supported = s["supportedFlags"];
    EXPECT_NE(std::find(supported.begin(), supported.end(), "SECCOMP_FILTER_FLAG_TSYNC"),
              supported.end());
}

TEST(Features, CapabilitiesMatchLibcapNames) {
    const auto& caps = berth::features::knownCapabilities();
    ASSERT_EQ(caps.size(), 41u);  // CAP_CHOWN (0) .. CAP_CHECKPOINT_RESTORE (40)
    for (size_t i = 0; i < caps.size(); i++) {
        char* name = cap_to_name(static_cast<cap_value_t>(i));
        ASSERT_NE(name, nullptr);
        std::string upper(name);
        cap_free(name);
        for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
        // libcap prints numbers for capabilities newer than itself.
        if (upper.rfind("CAP_", 0) == 0) {
            EXPECT_EQ(caps[i], upper) << "capability " << i;
        }
    }
    EXPECT_EQ(features()["linux"]["capabilities"], json(caps));
    json custom = json::parse(berth::features::featuresJson({"CAP_KILL"}));
    EXPECT_EQ(custom["linux"]["capabilities"], json({"CAP_KILL"}));
}

}  // namespace
