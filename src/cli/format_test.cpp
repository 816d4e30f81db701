// Tables and list output were checked against docker 28 (`docker context ls --format ...`,
// `docker context inspect`); Go formatting against Go's fmt/encoding/json documentation.
#include "cli/format.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "cli/table.h"

namespace berth::cli {
namespace {

using nlohmann::json;

TEST(TabWrite, DockerPsHeader) {
    EXPECT_EQ(tabwrite("CONTAINER ID\tIMAGE\tCOMMAND\tCREATED\tSTATUS\tPORTS\tNAMES\n"),
              "CONTAINER ID   IMAGE     COMMAND   CREATED   STATUS    PORTS     NAMES\n");
}

TEST(TabWrite, DockerContextLs) {
    EXPECT_EQ(tabwrite("NAME\tDESCRIPTION\tDOCKER ENDPOINT\tERROR\n"
                       "default *\tCurrent DOCKER_HOST based configuration\t"
                       "unix:///var/run/docker.sock\t\n"),
              "NAME        DESCRIPTION                               DOCKER ENDPOINT               "
              "ERROR\n"
              "default *   Current DOCKER_HOST based configuration   unix:///var/run/docker.sock   "
              "\n");
}

TEST(TabWrite, ColumnBlocks) {
    // Go's doc example: b and c are different columns since the b column is interrupted.
    EXPECT_EQ(tabwrite("aaaa\tbbb\td\naa\tb\tdd\na\t\naa\tcccc\teee\n", {1, 1, '.'}),
              "aaaa.bbb.d\naa...b...dd\na....\naa...cccc.eee\n");
    EXPECT_EQ(tabwrite(""), "");
    EXPECT_EQ(tabwrite("no tabs\n"), "no tabs\n");
    EXPECT_EQ(tabwrite("a\tb"), "a         b");
    EXPECT_EQ(tabwrite("a\t"), "a");  // an unterminated last line's trailing cell
    EXPECT_EQ(tabwrite("x\ty\n\nlonger-than-ten\tz\n"), "x         y\n\nlonger-than-ten   z\n");
    // Widths in display columns: wide characters count two.
    EXPECT_EQ(tabwrite("\u4f60\u597d\u4f60\u597d\u4f60\u597d\tx\nab\ty\n"),
              "\u4f60\u597d\u4f60\u597d\u4f60\u597d   x\nab             y\n");
}

TEST(GoJson, Compact) {
    json v = json::parse(R"({"b":"<a&b>","a":[1,-2,1.5,1e21,1e-7,0.000001,100.0,true,null],
                            "c":{},"d":[],"e":"\u2028\n\t\u0001\"\\é"})");
    EXPECT_EQ(goJsonCompact(v),
              R"({"a":[1,-2,1.5,1e+21,1e-7,0.000001,100,true,null],"b":"\u003ca\u0026b\u003e",)"
              R"("c":{},"d":[],"e":"\u2028\n\t\u0001\"\\é"})");
    EXPECT_EQ(goJsonCompact(v["b"], false), R"("<a&b>")");
    EXPECT_EQ(goJsonCompact(json(123456789.0)), "123456789");
    EXPECT_EQ(goJsonCompact(json(0.1)), "0.1");
    EXPECT_EQ(goJsonCompact(json("\xff")), R"("\ufffd")");
}

TEST(GoJson, IndentLikeDockerInspect) {
    json v = json::parse(R"({"Name":"default","Metadata":{},"Endpoints":{"docker":{
        "Host":"unix:///var/run/docker.sock","SkipTLSVerify":false}},"Storage":{
        "MetadataPath":"<IN MEMORY>"},"List":[1,[]]})");
    EXPECT_EQ(goJsonIndent(json::array({v})),
              "[\n"
              "    {\n"
              "        \"Endpoints\": {\n"
              "            \"docker\": {\n"
              "                \"Host\": \"unix:///var/run/docker.sock\",\n"
              "                \"SkipTLSVerify\": false\n"
              "            }\n"
              "        },\n"
              "        \"List\": [\n"
              "            1,\n"
              "            []\n"
              "        ],\n"
              "        \"Metadata\": {},\n"
              "        \"Name\": \"default\",\n"
              "        \"Storage\": {\n"
              "            \"MetadataPath\": \"\\u003cIN MEMORY\\u003e\"\n"
              "        }\n"
              "    }\n"
              "]");
    EXPECT_EQ(goJsonIndent(json::array()), "[]");
    EXPECT_EQ(goJsonIndent(json("x"), 2), "\"x\"");
}

TEST(GoFmt, Print) {
    EXPECT_EQ(go::print(json::parse(R"({"b":[1,"x",null,2.5],"a":{"z":true}})")),
              "map[a:map[z:true] b:[1 x <nil> 2.5]]");
    EXPECT_EQ(go::print(json::array()), "[]");
    EXPECT_EQ(go::print(json::object()), "map[]");
    EXPECT_EQ(go::print(json(1e6)), "1e+06");
    EXPECT_EQ(go::print(json(999999.5)), "999999.5");
    EXPECT_EQ(go::print(json(1e-5)), "1e-05");
    EXPECT_EQ(go::print(json(-0.0)), "-0");
    EXPECT_EQ(go::print(json(18446744073709551615ull)), "18446744073709551615");
}

TEST(GoFmt, Sprintf) {
    auto f = [](std::string_view fmt, std::vector<json> args) { return go::sprintf(fmt, args); };
    EXPECT_EQ(f("%5.2f|%-4d|%q", {3.14159, 7, "a\"b"}), " 3.14|7   |\"a\\\"b\"");
    EXPECT_EQ(f("%d %s", {"x", 5}), "%!d(string=x) %!s(int=5)");
    EXPECT_EQ(f("%d", {}), "%!d(MISSING)");
    EXPECT_EQ(f("%d", {1, 2, "x"}), "1%!(EXTRA int=2, string=x)");
    EXPECT_EQ(f("%v %T %T %T", {nullptr, 1, 1.5, "s"}), "<nil> int float64 string");
    EXPECT_EQ(f("%x %X %o %b %c %U", {255, 255, 8, 5, 65, 65}), "ff FF 10 101 A U+0041");
    EXPECT_EQ(f("%08.3f|%+d|% d|%-8s|%8s|", {3.14159, 5, 5, "ab", "ab"}),
              "0003.142|+5| 5|ab      |      ab|");
    EXPECT_EQ(f("%.2s|%5.1s|%q", {"hello", "world", 65}), "he|    w|'A'");
    EXPECT_EQ(f("%e %E %g %.3e %.3g", {123456.789, 0.000123, 1e-7, 12345.0, 12345.0}),
              "1.234568e+05 1.230000E-04 1e-07 1.234e+04 1.23e+04");
    EXPECT_EQ(f("%t %t %v", {true, 1, false}), "true %!t(int=1) false");
    EXPECT_EQ(f("%s|%q", {json::array({"a", "b"}), json::array({"a", "b"})}),
              "[a b]|[\"a\" \"b\"]");
    EXPECT_EQ(f("%", {}), "%!(NOVERB)");
    EXPECT_EQ(f("%*d|%-*d|", {5, 1, 4, 2}), "    1|2   |");
    EXPECT_EQ(f("100%%", {}), "100%");
    EXPECT_EQ(f("%6.2v|%v", {3.14159, 1e100}), "   3.1|1e+100");
    EXPECT_EQ(f("%.0f %.1f", {2.5, 0.05}), "2 0.1");
    EXPECT_EQ(f("%x", {"hi"}), "6869");
    EXPECT_EQ(f("%-10s|", {"h\u00e9"}), "h\u00e9        |");
}

TEST(GoFmt, Quote) {
    EXPECT_EQ(go::quote("a\"b\\c\n\x01\x7f\u00e9"), "\"a\\\"b\\\\c\\n\\x01\\x7f\u00e9\"");
    EXPECT_EQ(go::quote("\xff"), "\"\\xff\"");
}

const char* kPsTable = "table {{.ID}}\\t{{.Image}}\\t{{.Names}}";

std::vector<json> psRows() {
    return {json{{"ID", "0123456789ab"}, {"Image", "nginx:latest"}, {"Names", "web"}},
            json{{"ID", "ba9876543210"}, {"Image", "redis"}, {"Names", "cache"}}};
}

const json kPsHeaders = {{"ID", "CONTAINER ID"}, {"Image", "IMAGE"}, {"Names", "NAMES"}};

TEST(RenderList, DefaultTable) {
    auto out = renderList("", psRows(), kPsHeaders, {kPsTable});
    ASSERT_TRUE(out) << out.error().msg;
    EXPECT_EQ(*out,
              "CONTAINER ID   IMAGE          NAMES\n"
              "0123456789ab   nginx:latest   web\n"
              "ba9876543210   redis          cache\n");
    EXPECT_EQ(*renderList("table", psRows(), kPsHeaders, {kPsTable}), *out);
}

TEST(RenderList, HeaderWithoutRows) {
    EXPECT_EQ(*renderList("", {}, kPsHeaders, {kPsTable}), "CONTAINER ID   IMAGE     NAMES\n");
}

TEST(RenderList, Quiet) {
    EXPECT_EQ(*renderList("", psRows(), kPsHeaders, {kPsTable}, true),
              "0123456789ab\nba9876543210\n");
    // A custom format wins over -q.
    EXPECT_EQ(*renderList("{{.Names}}", psRows(), kPsHeaders, {kPsTable}, true), "web\ncache\n");
}

TEST(RenderList, CustomTableLikeDocker) {
    // docker context ls --format 'table {{.Name}}\t{{.Current}}\t{{json .Name}}'
    std::vector<json> rows = {json{{"Name", "default"}, {"Current", true}}};
    json headers = {{"Name", "NAME"}};
    EXPECT_EQ(*renderList("table {{.Name}}\\t{{.Current}}\\t{{json .Name}}", rows, headers, {}),
              "NAME      <no value>   NAME\n"
              "default   true         \"default\"\n");
    // "tablex{{.Name}}" is a table too; "  table ..." is not (the prefix is checked first).
    EXPECT_EQ(*renderList("tablex{{.Name}}", rows, headers, {}), "xNAME\nxdefault\n");
    EXPECT_EQ(*renderList("  table {{.Name}}", rows, headers, {}), "table default\n");
}

TEST(RenderList, PlainTemplateAndJson) {
    EXPECT_EQ(*renderList("{{.ID}}\\t{{.Names}}", psRows(), kPsHeaders, {kPsTable}),
              "0123456789ab\tweb\nba9876543210\tcache\n");
    EXPECT_EQ(*renderList("{{.Names}}\\n", psRows(), kPsHeaders, {kPsTable}), "web\n\ncache\n\n");
    EXPECT_EQ(*renderList("json", psRows(), kPsHeaders, {kPsTable}),
              "{\"ID\":\"0123456789ab\",\"Image\":\"nginx:latest\",\"Names\":\"web\"}\n"
              "{\"ID\":\"ba9876543210\",\"Image\":\"redis\",\"Names\":\"cache\"}\n");
    EXPECT_EQ(*renderList("json", {}, kPsHeaders, {kPsTable}), "");
}

TEST(RenderList, HeaderFunctionsAndPartialHeader) {
    std::vector<json> rows = {json{{"Names", json::array({"a", "b"})}, {"ID", "x"}}};
    json headers = {{"Names", "NAMES"}, {"ID", "CONTAINER ID"}};
    EXPECT_EQ(*renderList("table {{join .Names \",\"}}\\t{{upper .ID}}", rows, headers, {}),
              "NAMES     CONTAINER ID\na,b       X\n");
    // A header that fails to execute keeps what it wrote, as docker does.
    rows = {json{{"ID", "x"}, {"Label", {{"k", "v"}}}}};
    EXPECT_EQ(*renderList("table {{.ID}}\\t{{.Label \"k\"}}", rows, headers, {}),
              "CONTAINER ID   \nx              v\n");
}

TEST(RenderList, Errors) {
    auto r = renderList("{{.ID", psRows(), kPsHeaders, {kPsTable});
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().msg, "template parsing error: template: :1: unclosed action");
    r = renderList("{{index .Names 3}}", psRows(), kPsHeaders, {kPsTable});
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().msg,
              "template parsing error: template: :1:2: executing \"\" at <index .Names 3>: error "
              "calling index: index out of range: 3");
}

TEST(RenderEach, Formats) {
    std::vector<json> items = {json{{"Name", "a"}, {"Tag", "<x>"}}, json{{"Name", "b"}}};
    EXPECT_EQ(renderEach("", items)->out,
              "[\n    {\n        \"Name\": \"a\",\n        \"Tag\": \"\\u003cx\\u003e\"\n    },\n"
              "    {\n        \"Name\": \"b\"\n    }\n]\n");
    EXPECT_EQ(renderEach("", {})->out, "[]\n");
    EXPECT_EQ(renderEach("json", items)->out,
              "[{\"Name\":\"a\",\"Tag\":\"\\u003cx\\u003e\"},{\"Name\":\"b\"}]\n");
    EXPECT_EQ(renderEach("{{.Name}}", items)->out, "a\nb\n");
    // docker inspect does not turn a literal \t into a tab.
    EXPECT_EQ(renderEach("{{.Name}}\\t|", items)->out, "a\\t|\nb\\t|\n");
    EXPECT_EQ(renderEach("{{json .Tag}}", items)->out, "\"<x>\"\nnull\n");
    EXPECT_EQ(renderEach("{{.Name}}", {})->out, "\n");
}

TEST(RenderEach, Errors) {
    auto r = renderEach("{{.Name", {json::object()});
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().msg, "template parsing error: template: :1: unclosed action");
    std::vector<json> items = {json{{"N", json::array({1})}}, json{{"N", json::array()}}};
    auto each = renderEach("{{index .N 0}}", items);
    ASSERT_TRUE(each);
    EXPECT_EQ(each->out, "1\n");
    ASSERT_EQ(each->errors.size(), 1u);
    EXPECT_EQ(each->errors[0],
              "template parsing error: template: :1:2: executing \"\" at <index .N 0>: error "
              "calling index: index out of range: 0");
    auto strict = renderEach("{{.Nope}}", {json::object()}, {.missingKeyError = true});
    ASSERT_EQ(strict->errors.size(), 1u);
    EXPECT_EQ(strict->out, "\n");
}

}  // namespace
}  // namespace berth::cli
