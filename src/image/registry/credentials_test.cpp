#include "image/registry/credentials.h"

#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <nlohmann/json.hpp>

#include "common/sys.h"
#include "image/registry/base64.h"

namespace berth::image::registry {
namespace {

class CredentialsTest : public ::testing::Test {
  protected:
    void SetUp() override {
        char tmpl[] = "/tmp/berth-creds-XXXXXX";
        ASSERT_NE(mkdtemp(tmpl), nullptr);
        dir_ = tmpl;
        file_ = dir_ + "/sub/config.json";
    }
    void TearDown() override { (void)sys::removeAll(dir_); }
    std::string dir_, file_;
};

TEST(Base64, RoundTripsBothAlphabetsAndPadding) {
    EXPECT_EQ(base64Encode("user:pass"), "dXNlcjpwYXNz");
    EXPECT_EQ(base64Encode("a"), "YQ==");
    EXPECT_EQ(base64Encode("ab"), "YWI=");
    EXPECT_EQ(base64Encode("\xfb\xff", true), "-_8=");
    EXPECT_EQ(*base64Decode("YQ=="), "a");
    EXPECT_EQ(*base64Decode("YQ"), "a");
    EXPECT_EQ(*base64Decode("-_8"), "\xfb\xff");
    EXPECT_EQ(*base64Decode("+/8="), "\xfb\xff");
    EXPECT_FALSE(base64Decode("Y"));
    EXPECT_FALSE(base64Decode("Y!=="));
}

TEST(Servers, NormalizeAndKeys) {
    EXPECT_EQ(normalizeServer("https://index.docker.io/v1/"), "docker.io");
    EXPECT_EQ(normalizeServer("registry-1.docker.io"), "docker.io");
    EXPECT_EQ(normalizeServer("http://127.0.0.1:5000/v2/"), "127.0.0.1:5000");
    EXPECT_EQ(authFileKey("docker.io"), "https://index.docker.io/v1/");
    EXPECT_EQ(authFileKey("Reg.Example:443"), "reg.example:443");
}

TEST_F(CredentialsTest, MissingFileMeansNoCredentials) {
    auto c = loadCredentials(file_, "127.0.0.1:5000");
    ASSERT_TRUE(c) << c.error().str();
    EXPECT_TRUE(c->empty());
}

TEST_F(CredentialsTest, StoreWritesDockerFormat0600AndKeepsOtherKeys) {
    ASSERT_TRUE(sys::mkdirAll(dir_ + "/sub", 0755));
    ASSERT_TRUE(sys::writeFile(file_, R"({"credsStore":"x","auths":{"other:1":{"auth":"YTpi"}}})",
                               O_WRONLY | O_CREAT | O_TRUNC, 0644));
    Credentials c;
    c.username = "alice";
    c.password = "p:w";
    ASSERT_TRUE(storeCredentials(file_, "http://127.0.0.1:5000/", c));
    struct stat st {};
    ASSERT_EQ(stat(file_.c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0600u);
    auto j = nlohmann::json::parse(*sys::readFile(file_));
    EXPECT_EQ(j["credsStore"], "x");
    EXPECT_EQ(j["auths"]["127.0.0.1:5000"]["auth"], base64Encode("alice:p:w"));
    EXPECT_EQ(j["auths"]["other:1"]["auth"], "YTpi");

    auto back = loadCredentials(file_, "127.0.0.1:5000");
    ASSERT_TRUE(back);
    EXPECT_EQ(back->username, "alice");
    EXPECT_EQ(back->password, "p:w");
    auto other = loadCredentials(file_, "other:1");
    EXPECT_EQ(other->username, "a");
    EXPECT_EQ(other->password, "b");
    // No temp files left beside it.
    std::vector<std::string> names;
    DIR* d = opendir((dir_ + "/sub").c_str());
    ASSERT_NE(d, nullptr);
    while (auto* e = readdir(d))
        if (e->d_name[0] != '.') names.push_back(e->d_name);
    closedir(d);
    EXPECT_EQ(names, std::vector<std::string>{"config.json"});
}

TEST_F(CredentialsTest, DockerHubKeyAndSchemeSpellingsMatch) {
    ASSERT_TRUE(sys::mkdirAll(dir_ + "/sub", 0700));
    ASSERT_TRUE(sys::writeFile(file_,
                               R"({"auths":{"https://index.docker.io/v1/":{"auth":"dTpw"},)"
                               R"("https://reg:5000":{"username":"x","password":"y"}}})",
                               O_WRONLY | O_CREAT | O_TRUNC, 0600));
    auto hub = loadCredentials(file_, "docker.io");
    ASSERT_TRUE(hub);
    EXPECT_EQ(hub->username, "u");
    EXPECT_EQ(hub->password, "p");
    auto reg = loadCredentials(file_, "reg:5000");
    ASSERT_TRUE(reg);
    EXPECT_EQ(reg->username, "x");
    EXPECT_EQ(reg->password, "y");
}

TEST_F(CredentialsTest, EraseRemovesOnlyThatServer) {
    Credentials c{"u", "p", "", ""};
    ASSERT_TRUE(storeCredentials(file_, "a:1", c));
    ASSERT_TRUE(storeCredentials(file_, "b:2", c));
    EXPECT_TRUE(*eraseCredentials(file_, "a:1"));
    EXPECT_FALSE(*eraseCredentials(file_, "a:1"));
    EXPECT_TRUE(loadCredentials(file_, "a:1")->empty());
    EXPECT_EQ(loadCredentials(file_, "b:2")->username, "u");
}

TEST_F(CredentialsTest, CorruptFileIsAnError) {
    ASSERT_TRUE(sys::mkdirAll(dir_ + "/sub", 0700));
    ASSERT_TRUE(sys::writeFile(file_, "{not json", O_WRONLY | O_CREAT | O_TRUNC, 0600));
    auto c = loadCredentials(file_, "x");
    ASSERT_FALSE(c);
    EXPECT_NE(c.error().str().find(file_), std::string::npos);
}

TEST(RegistryAuthHeader, DecodesBase64UrlJson) {
    auto hdr = base64Encode(
        R"({"username":"bob","password":"pw?>","serveraddress":"127.0.0.1:5000"})", true);
    auto c = decodeRegistryAuth(hdr);
    ASSERT_TRUE(c) << c.error().str();
    EXPECT_EQ(c->username, "bob");
    EXPECT_EQ(c->password, "pw?>");
    auto tok = decodeRegistryAuth(base64Encode(R"({"identitytoken":"rt"})"));
    EXPECT_EQ(tok->identityToken, "rt");
    EXPECT_TRUE(decodeRegistryAuth("")->empty());
    EXPECT_FALSE(decodeRegistryAuth(base64Encode("[1]")));
    EXPECT_FALSE(decodeRegistryAuth("%%%"));
}

}  // namespace
}  // namespace berth::image::registry
