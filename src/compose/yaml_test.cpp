#include "compose/yaml.h"

#include <gtest/gtest.h>

namespace berth::compose {
namespace {

using nlohmann::json;

json parse(std::string_view text, Marks* marks = nullptr) {
    auto r = parseYaml(text, "compose.yaml", marks);
    EXPECT_TRUE(r.ok()) << r.error().msg;
    return r.ok() ? r.value() : json();
}

TEST(Yaml, ScalarTyping) {
    json v = parse(R"(
a: true
b: False
c: 12
d: "12"
e: 1.5
f: null
g: ~
h:
i: 'true'
j: 0x1F
k: 0o17
l: 0440
m: -3
n: 1e3
o: 8080:80
p: yes
q: !!str 7
r: |
  two
  lines
s: 3.8
)");
    EXPECT_EQ(v["a"], json(true));
    EXPECT_EQ(v["b"], json(false));
    EXPECT_EQ(v["c"], json(12));
    EXPECT_EQ(v["d"], json("12"));
    EXPECT_EQ(v["e"], json(1.5));
    EXPECT_TRUE(v["f"].is_null());
    EXPECT_TRUE(v["g"].is_null());
    EXPECT_TRUE(v["h"].is_null());
    EXPECT_EQ(v["i"], json("true"));
    EXPECT_EQ(v["j"], json(31));
    EXPECT_EQ(v["k"], json(15));
    EXPECT_EQ(v["l"], json(288));
    EXPECT_EQ(v["m"], json(-3));
    EXPECT_TRUE(v["n"].is_number_float());
    EXPECT_EQ(v["n"].get<double>(), 1000.0);
    EXPECT_EQ(v["o"], json("8080:80"));
    EXPECT_EQ(v["p"], json("yes"));  // YAML 1.2: only true/false are booleans
    EXPECT_EQ(v["q"], json("7"));
    EXPECT_EQ(v["r"], json("two\nlines\n"));
    EXPECT_TRUE(v["s"].is_number_float());
}

TEST(Yaml, AnchorsAliasesAndMergeKeys) {
    Marks marks;
    json v = parse(R"(x-common: &common
  image: busybox
  environment:
    A: "1"
x-more: &more
  restart: always
  image: other
services:
  web:
    <<: *common
    image: nginx
  worker:
    <<: [*more, *common]
  plain:
    environment: *common
)",
                   &marks);
    EXPECT_EQ(v["services"]["web"]["image"], "nginx");  // explicit key wins
    EXPECT_EQ(v["services"]["web"]["environment"]["A"], "1");
    EXPECT_FALSE(v["services"]["web"].contains("<<"));
    EXPECT_EQ(v["services"]["worker"]["image"], "other");  // earlier source wins
    EXPECT_EQ(v["services"]["worker"]["restart"], "always");
    EXPECT_EQ(v["services"]["worker"]["environment"]["A"], "1");
    EXPECT_EQ(v["services"]["plain"]["environment"]["image"], "busybox");
    // The explicit key's mark is its own line; merged ones point at the anchor's lines.
    EXPECT_EQ(marks["/services/web/image"].line, 11);
    EXPECT_EQ(marks["/services/web/environment/A"].line, 4);
    EXPECT_EQ(marks["/services/web/environment/A"].file, "compose.yaml");
}

TEST(Yaml, MarksAreOneBasedAndKeyed) {
    Marks marks;
    parse("services:\n  web:\n    image: nginx\n    ports:\n      - \"80:80\"\n      - 443\n",
          &marks);
    EXPECT_EQ(marks["/services"].line, 1);
    EXPECT_EQ(marks["/services/web"].line, 2);
    EXPECT_EQ(marks["/services/web"].column, 3);
    EXPECT_EQ(marks["/services/web/image"].line, 3);
    EXPECT_EQ(marks["/services/web/ports/1"].line, 6);
    EXPECT_EQ(marks["/services/web/ports/1"].column, 9);
    const Mark* m = findMark(marks, "/services/web/ports/1/nothing/here");
    ASSERT_NE(m, nullptr);
    EXPECT_EQ(m->line, 6);
    EXPECT_EQ(markPrefix(marks, "/services/web/image"), "compose.yaml:3");
}

TEST(Yaml, DuplicateKeyIsAnError) {
    auto r = parseYaml("services:\n  web:\n    image: a\n    image: b\n", "c.yml", nullptr);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().msg, "c.yml:4:5: mapping key \"image\" already defined at line 3");
}

TEST(Yaml, SyntaxErrorNamesFileLineAndColumn) {
    auto r =
        parseYaml("services:\n  web:\n    ports: [80, 81\n  db: {}\n", "dir/compose.yaml", nullptr);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().msg.rfind("dir/compose.yaml:", 0), 0u) << r.error().msg;
    EXPECT_NE(r.error().msg.find("end of sequence flow not found"), std::string::npos);

    auto bad = parseYaml("a: b: c\n", "x.yaml", nullptr);
    ASSERT_FALSE(bad.ok());
    EXPECT_EQ(bad.error().msg.rfind("x.yaml:1:", 0), 0u) << bad.error().msg;
}

TEST(Yaml, EmptyDocumentIsNullAndSeveralAreRejected) {
    EXPECT_TRUE(parse("").is_null());
    EXPECT_TRUE(parse("# just a comment\n").is_null());
    auto r = parseYaml("a: 1\n---\nb: 2\n", "m.yaml", nullptr);
    ASSERT_FALSE(r.ok());
    EXPECT_NE(r.error().msg.find("m.yaml: 2 YAML documents"), std::string::npos);
}

TEST(Yaml, ResetAndOverrideTagsAreKept) {
    auto r = parseYamlDoc("services:\n  web:\n    ports: !reset []\n    env: !override {A: 1}\n",
                          "o.yaml");
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r->tags["/services/web/ports"], "!reset");
    EXPECT_EQ(r->tags["/services/web/env"], "!override");
    EXPECT_EQ(r->value["services"]["web"]["env"]["A"], 1);
}

TEST(Yaml, AliasBombIsBounded) {
    std::string y = "a: &a [x, x, x, x, x, x, x, x, x, x]\n";
    char prev = 'a';
    for (char c = 'b'; c <= 'j'; c++) {
        y += fmt::format("{}: &{} [*{}, *{}, *{}, *{}, *{}, *{}, *{}, *{}, *{}, *{}]\n", c, c, prev,
                         prev, prev, prev, prev, prev, prev, prev, prev, prev);
        prev = c;
    }
    auto r = parseYaml(y, "bomb.yaml", nullptr);
    ASSERT_FALSE(r.ok());
    EXPECT_NE(r.error().msg.find("too large"), std::string::npos);
}

TEST(Yaml, PointerHelpers) {
    EXPECT_EQ(pointerAppend("/labels", "com.x/y~z"), "/labels/com.x~1y~0z");
    EXPECT_EQ(pointerToPath("/labels/com.x~1y~0z"), "labels.com.x/y~z");
    EXPECT_EQ(pointerToPath("/services/web/ports/0"), "services.web.ports.0");
    Marks m{
        {"/a", {"f", 1, 1}}, {"/a/b", {"f", 2, 1}}, {"/a-b", {"f", 3, 1}}, {"/ab", {"f", 4, 1}}};
    Marks out;
    copyMarks(m, "/a", out, "/z");
    EXPECT_EQ(out.size(), 2u);
    EXPECT_EQ(out["/z/b"].line, 2);
    eraseMarks(m, "/a");
    EXPECT_EQ(m.size(), 2u);
    EXPECT_TRUE(m.count("/a-b") && m.count("/ab"));
}

TEST(Yaml, ToYamlRoundTrips) {
    json v = {{"name", "demo"},
              {"services",
               {{"web",
                 {{"image", "nginx:1.25"},
                  {"command", {"sh", "-c", "echo hi: there"}},
                  {"environment", {{"EMPTY", ""}, {"N", "3"}, {"T", "true"}, {"U", nullptr}}},
                  {"ports", {{{"target", 80}, {"published", "8080"}, {"protocol", "tcp"}}}},
                  {"labels", json::object()},
                  {"read_only", true},
                  {"cpus", 1.0},
                  {"x", "multi\nline \"q\""},
                  {"y", "#notacomment"},
                  {"z", "yes"}}}}}};
    std::string y = toYaml(v);
    EXPECT_NE(y.find("services:\n  web:\n"), std::string::npos) << y;
    EXPECT_NE(y.find("    ports:\n      - protocol: tcp\n        published: \"8080\"\n"),
              std::string::npos)
        << y;
    EXPECT_NE(y.find("      T: \"true\"\n"), std::string::npos) << y;
    EXPECT_NE(y.find("    image: nginx:1.25\n"), std::string::npos) << y;
    auto back = parseYaml(y, "out.yaml", nullptr);
    ASSERT_TRUE(back.ok()) << back.error().msg << "\n" << y;
    EXPECT_EQ(back.value(), v) << y;
    EXPECT_EQ(toYaml(json::object()), "{}\n");
    json nested = {{"a", {{1, 2}, json::array(), {{"k", {{"j", 1}}}}}}};
    auto again = parseYaml(toYaml(nested), "n.yaml", nullptr);
    ASSERT_TRUE(again.ok()) << toYaml(nested);
    EXPECT_EQ(again.value(), nested) << toYaml(nested);
}

}  // namespace
}  // namespace berth::compose
