// Expected outputs were checked against docker 28's Go templates where the data allows
// (`docker context inspect --format` with literal-only templates).
#include "cli/template.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace berth::cli {
namespace {

using nlohmann::json;

std::string run(std::string_view tmpl, const json& data = json::object(),
                const ExecOptions& opts = {}) {
    auto t = Template::parse(tmpl);
    if (!t) return "PARSE: " + t.error().msg;
    auto r = t->execute(data, opts);
    if (!r) return "EXEC: " + r.error().msg;
    return *r;
}

const json kData = json::parse(R"({
  "ID": "abc123", "Names": ["web", "db"], "Count": 3, "Ratio": 0.25, "On": true, "Off": false,
  "Nil": null, "Empty": "", "Config": {"Labels": {"a": "1", "com.x": "y"}, "Env": []},
  "Ports": {"80/tcp": [{"HostPort": "8080"}]}, "Label": {"com.x": "y"}
})");

TEST(Template, TextAndFields) {
    EXPECT_EQ(run("plain"), "plain");
    EXPECT_EQ(run("", kData), "");
    EXPECT_EQ(run("{{.ID}}", kData), "abc123");
    EXPECT_EQ(run("id={{.ID}} n={{.Count}}", kData), "id=abc123 n=3");
    EXPECT_EQ(run("{{.Config.Labels.a}}", kData), "1");
    EXPECT_EQ(run("{{.Names}}", kData), "[web db]");
    EXPECT_EQ(run("{{.Config.Labels}}", kData), "map[a:1 com.x:y]");
    EXPECT_EQ(run("{{.Ratio}} {{.On}} {{.Off}}", kData), "0.25 true false");
}

TEST(Template, MissingAndNull) {
    EXPECT_EQ(run("{{.Nope}}", kData), "<no value>");
    EXPECT_EQ(run("{{.Nope.Deeper}}", kData), "<no value>");
    EXPECT_EQ(run("{{.Nil}}", kData), "<no value>");
    EXPECT_EQ(run("{{.Nil.Field}}", kData), "<no value>");
    EXPECT_EQ(run("{{.}}", json()), "<no value>");
    EXPECT_EQ(run("{{printf \"%v\" .Nil}}", kData), "<nil>");
    EXPECT_EQ(run("{{json .Nope}}", kData), "null");
    EXPECT_EQ(run("{{.Config.Labels.zz}}", kData), "<no value>");
    EXPECT_EQ(run("{{.Nope}}", kData, {.missingKeyError = true}),
              "EXEC: template: :1:2: executing \"\" at <.Nope>: map has no entry for key \"Nope\"");
}

TEST(Template, FieldErrorsLikeGo) {
    EXPECT_EQ(run("{{.Name.X}}", json{{"Name", "default"}}),
              "EXEC: template: :1:7: executing \"\" at <.Name.X>: can't evaluate field X in "
              "type string");
    EXPECT_EQ(run("a\n {{.A.B.C}}", json{{"A", {{"B", "s"}}}}),
              "EXEC: template: :2:5: executing \"\" at <.A.B.C>: can't evaluate field C in type "
              "string");
    EXPECT_EQ(run("{{.ID 1}}", kData),
              "EXEC: template: :1:2: executing \"\" at <.ID>: ID is not a method but has "
              "arguments");
}

TEST(Template, MethodEmulation) {
    EXPECT_EQ(run("{{.Label \"com.x\"}}", kData), "y");
    EXPECT_EQ(run("[{{.Label \"missing\"}}]", kData), "[]");
    EXPECT_EQ(run("{{\"com.x\" | .Label}}", kData), "y");
    EXPECT_EQ(run("{{index .Config.Labels \"com.x\"}}", kData), "y");
    EXPECT_EQ(run("[{{index .Config.Labels \"zz\"}}]", kData), "[]");
    EXPECT_EQ(run("{{(index .Ports \"80/tcp\" 0).HostPort}}", kData), "8080");
    EXPECT_EQ(run("{{with index .Ports \"80/tcp\"}}{{(index . 0).HostPort}}{{end}}", kData),
              "8080");
}

TEST(Template, Literals) {
    EXPECT_EQ(run("{{1.5}} {{1e6}} {{123456.0}} {{1234567.0}} {{0.0001}} {{0.00001}} {{-2.50}}"),
              "1.5 1e+06 123456 1.234567e+06 0.0001 1e-05 -2.5");
    EXPECT_EQ(run("{{'a'}} {{'\\n'}} {{0x1F}} {{1_000}} {{-5}} {{+5}} {{1e3}} {{.5}}"),
              "97 10 31 1000 -5 5 1000 0.5");
    EXPECT_EQ(run("{{\"\\u00e9\\x41\\101\\t|\"}}"),
              "\xC3\xA9"
              "AA\t|");
    EXPECT_EQ(run("{{`raw\\n`}}"), "raw\\n");
    EXPECT_EQ(run("{{true}} {{false}}"), "true false");
    EXPECT_EQ(run("{{-3}}"), "-3");
}

TEST(Template, TrimMarkersAndComments) {
    EXPECT_EQ(run("a  {{- \"b\" -}}  c"), "abc");
    EXPECT_EQ(run("a \n {{- 1}} \n"), "a1 \n");
    EXPECT_EQ(run("{{/* comment */}}x{{- /* c2 */ -}}  y"), "xy");
    EXPECT_EQ(run("{{3 -}}  \n x"), "3x");
    EXPECT_EQ(run("x {{- 3}}"), "x3");
}

TEST(Template, Variables) {
    EXPECT_EQ(run("{{$x := 5}}{{$x}} {{$x = 6}}{{$x}}"), "5 6");
    EXPECT_EQ(run("{{$.ID}}{{with .Config}}{{$.ID}}{{end}}", kData), "abc123abc123");
    EXPECT_EQ(run("{{ $z := 1 }}{{ $z }}"), "1");
    EXPECT_EQ(run("{{with $x := \"y\"}}{{$x}}{{.}}{{end}}"), "yy");
    EXPECT_EQ(run("{{if 1}}{{$v := 2}}{{end}}{{$v}}"),
              "PARSE: template: :1: undefined variable \"$v\"");
}

TEST(Template, Pipelines) {
    EXPECT_EQ(run("{{\"abc\" | printf \"%s-%s\" \"x\"}}"), "x-abc");
    EXPECT_EQ(run("{{\"abc\" | len | printf \"%d\"}}"), "3");
    EXPECT_EQ(run("{{(split \"a,b\" \",\") | len}}"), "2");
    EXPECT_EQ(run("{{join .Names \", \" | printf \"<%s>\"}}", kData), "<web, db>");
    // The piped value is the last argument, so this calls join(", ", .Names), as in Go.
    EXPECT_EQ(run("{{.Names | join \", \"}}", kData),
              "EXEC: template: :1:11: executing \"\" at <join \", \">: wrong type for value; "
              "expected []string; got string");
    EXPECT_EQ(run("{{.Nope | printf \"%v\"}}", kData), "<nil>");
}

TEST(Template, Conditionals) {
    EXPECT_EQ(run("{{if 0}}a{{else if \"\"}}b{{else if 1}}c{{else}}d{{end}}"), "c");
    EXPECT_EQ(run("{{if .On}}on{{end}}{{if .Off}}off{{end}}", kData), "on");
    EXPECT_EQ(run("{{if .Config.Env}}e{{else}}none{{end}}", kData), "none");
    EXPECT_EQ(run("{{if .Nope}}x{{else}}y{{end}}", kData), "y");
    EXPECT_EQ(run("{{with \"x\"}}{{.}}{{else}}none{{end}} {{with \"\"}}{{.}}{{else}}none{{end}}"),
              "x none");
    EXPECT_EQ(run("{{with .Nope}}x{{else with .ID}}{{.}}{{end}}", kData), "abc123");
    EXPECT_EQ(run("{{if and (eq 1 1) (ne 1 2)}}yes{{end}}"), "yes");
}

TEST(Template, Range) {
    EXPECT_EQ(run("{{range $i, $v := split \"a,b,c\" \",\"}}{{$i}}={{$v}};{{end}}"),
              "0=a;1=b;2=c;");
    EXPECT_EQ(run("{{range .Names}}[{{.}}]{{else}}none{{end}}", kData), "[web][db]");
    EXPECT_EQ(run("{{range .Config.Env}}x{{else}}none{{end}}", kData), "none");
    EXPECT_EQ(run("{{range .Nope}}x{{else}}none{{end}}", kData), "none");
    EXPECT_EQ(run("{{range $k, $v := .Config.Labels}}{{$k}}={{$v}} {{end}}", kData),
              "a=1 com.x=y ");
    EXPECT_EQ(run("{{range $p, $b := .Ports}}{{$p}}->{{(index $b 0).HostPort}}{{end}}", kData),
              "80/tcp->8080");
    EXPECT_EQ(run("{{range 3}}{{.}}{{end}}"), "012");
    EXPECT_EQ(run("{{range $i, $v := split \"a,b,c,d\" \",\"}}{{if eq $i 1}}{{continue}}{{end}}"
                  "{{if eq $i 3}}{{break}}{{end}}{{$v}}{{end}}"),
              "ac");
    EXPECT_EQ(run("{{range $i, $v := 3}}{{.}}{{end}}"),
              "EXEC: template: :1:18: executing \"\" at <3>: can't use 3 to iterate over more "
              "than one variable");
    EXPECT_EQ(run("{{range .ID}}{{end}}", kData),
              "EXEC: template: :1:8: executing \"\" at <.ID>: range can't iterate over abc123");
}

TEST(Template, Builtins) {
    EXPECT_EQ(run("{{print 1 2 \"a\" \"b\" 3 true}}"), "1 2ab3 true");
    EXPECT_EQ(run("{{println 1 \"a\"}}x"), "1 a\nx");
    EXPECT_EQ(run("{{eq 1 1}} {{eq 1 2 3 1}} {{ne \"a\" \"b\"}} {{lt 1 2}} {{le 2 2}} "
                  "{{gt \"b\" \"a\"}} {{ge 1 2}}"),
              "true true true true true true false");
    EXPECT_EQ(run("{{and 1 0 2}} {{or 0 \"\" \"x\"}} {{and 1 2}} {{or 0 \"\"}} {{not 0}} "
                  "{{not \"a\"}}"),
              "0 x 2  true false");
    EXPECT_EQ(run("{{len \"h\xC3\xA9llo\"}} {{len .Names}} {{len .Config.Labels}}", kData),
              "6 2 2");
    EXPECT_EQ(run("{{index (split \"a,b,c\" \",\") 1}} {{index \"abc\" 1}}"), "b 98");
    EXPECT_EQ(run("{{slice \"hello\" 1 3}} {{slice (split \"a,b,c\" \",\") 1}} {{slice \"abc\"}}"),
              "el [b c] abc");
    EXPECT_EQ(run("{{eq .Count 3}} {{eq .ID \"abc123\"}} {{eq .Nil .Nope}}", kData),
              "true true true");
}

TEST(Template, DockerFunctions) {
    EXPECT_EQ(run("{{join (split \"a,b,c\" \",\") \"-\"}} {{upper \"abc\"}} {{lower \"ABC\"}} "
                  "{{title \"hello wORLD foo_bar x-y\"}}"),
              "a-b-c ABC abc Hello WORLD Foo_bar X-Y");
    EXPECT_EQ(run("{{pad \"x\" 2 3}}| {{pad \"\" 2 3}}| {{truncate \"abcdef\" 3}} "
                  "{{truncate \"ab\" 3}}"),
              "  x   | | abc ab");
    EXPECT_EQ(run("{{json \"a<b>&c\"}} {{json 1.5}} {{json (split \"a,b\" \",\")}} {{json nil}}"),
              "\"a<b>&c\" 1.5 [\"a\",\"b\"] null");
    EXPECT_EQ(run("{{json .Config}}", kData), R"({"Env":[],"Labels":{"a":"1","com.x":"y"}})");
    EXPECT_EQ(run("{{join (split \"\" \",\") \",\"}}x"), "x");
    EXPECT_EQ(run("{{split \"abc\" \"\"}}"), "[a b c]");
}

TEST(Template, HeaderFunctions) {
    ExecOptions h{.headerFunctions = true};
    json headers = {{"ID", "CONTAINER ID"}, {"Names", "NAMES"}};
    EXPECT_EQ(
        run("{{json .Names}}|{{upper .ID}}|{{truncate .ID 3}}|{{join .Names \",\"}}", headers, h),
        "NAMES|CONTAINER ID|CONTAINER ID|NAMES");
    EXPECT_EQ(run("{{.ID}}\t{{.Image}}", headers, h), "CONTAINER ID\t<no value>");
}

TEST(Template, ExecErrors) {
    EXPECT_EQ(run("{{printf \"%d\" 1 2 \"x\"}}"), "1%!(EXTRA int=2, string=x)");
    EXPECT_EQ(run("{{eq 1 \"a\"}}"),
              "EXEC: template: :1:2: executing \"\" at <eq 1 \"a\">: error calling eq: "
              "incompatible types for comparison");
    EXPECT_EQ(run("{{lt true false}}"),
              "EXEC: template: :1:2: executing \"\" at <lt true false>: error calling lt: invalid "
              "type for comparison");
    EXPECT_EQ(run("{{eq}}"),
              "EXEC: template: :1:2: executing \"\" at <eq>: wrong number of args for eq: want at "
              "least 1 got 0");
    EXPECT_EQ(run("{{eq 1}}"),
              "EXEC: template: :1:2: executing \"\" at <eq 1>: error calling eq: missing argument "
              "for comparison");
    EXPECT_EQ(
        run("{{len 3}}"),
        "EXEC: template: :1:2: executing \"\" at <len 3>: error calling len: len of type int");
    EXPECT_EQ(run("{{index (split \"a,b,c\" \",\") 5}}"),
              "EXEC: template: :1:2: executing \"\" at <index (split \"a,b,c\" \",\") 5>: error "
              "calling index: index out of range: 5");
    EXPECT_EQ(run("{{slice \"hello\" 3 1}}"),
              "EXEC: template: :1:2: executing \"\" at <slice \"hello\" 3 1>: error calling "
              "slice: invalid slice index: 3 > 1");
    EXPECT_EQ(run("{{index 1 2}}"),
              "EXEC: template: :1:2: executing \"\" at <index 1 2>: error calling index: can't "
              "index item of type int");
    EXPECT_EQ(run("{{nil}}"),
              "EXEC: template: :1:2: executing \"\" at <nil>: nil is not a command");
    EXPECT_EQ(run("{{\"a\" . }}"),
              "EXEC: template: :1:2: executing \"\" at <\"a\">: can't give argument to "
              "non-function \"a\"");
    // Go says "at <1>: expected string; found 1" for a literal; we report the call.
    EXPECT_EQ(run("{{upper 1}}"),
              "EXEC: template: :1:2: executing \"\" at <upper 1>: wrong type for value; expected "
              "string; got int");
}

TEST(Template, ParseErrorsLikeGo) {
    auto err = [](std::string_view t) { return run(t); };
    EXPECT_EQ(err("{{.Foo"), "PARSE: template: :1: unclosed action");
    EXPECT_EQ(err("{{if 1}}"), "PARSE: template: :1: unexpected EOF");
    EXPECT_EQ(err("{{end}}"), "PARSE: template: :1: unexpected {{end}}");
    EXPECT_EQ(err("{{else}}"), "PARSE: template: :1: unexpected {{else}}");
    EXPECT_EQ(err("{{foo}}"), "PARSE: template: :1: function \"foo\" not defined");
    EXPECT_EQ(err("{{$y}}"), "PARSE: template: :1: undefined variable \"$y\"");
    EXPECT_EQ(err("{{\"a\" | \"b\"}}"),
              "PARSE: template: :1: non executable command in pipeline stage 2");
    EXPECT_EQ(err("{{| .A}}"), "PARSE: template: :1: unexpected \"|\" in command");
    EXPECT_EQ(err("{{(1}}"), "PARSE: template: :1: unclosed left paren");
    EXPECT_EQ(err("{{1)}}"), "PARSE: template: :1: unexpected right paren");
    EXPECT_EQ(err("{{\"abc}}"), "PARSE: template: :1: unterminated quoted string");
    EXPECT_EQ(err("{{3abc}}"), "PARSE: template: :1: bad number syntax: \"3a\"");
    EXPECT_EQ(err("{{true.X}}"), "PARSE: template: :1: unexpected . after term \"true\"");
    EXPECT_EQ(err("{{break}}"), "PARSE: template: :1: {{break}} outside {{range}}");
    EXPECT_EQ(err("{{}}"), "PARSE: template: :1: missing value for command");
    EXPECT_EQ(err("a\nb\n{{.X"), "PARSE: template: :3: unclosed action");
    EXPECT_EQ(err("{{/* x"), "PARSE: template: :1: unclosed comment");
    EXPECT_EQ(err("{{'ab'}}"), "PARSE: template: :1: malformed character constant: 'ab'");
    EXPECT_EQ(err("{{\"\\xZZ\"}}"), "PARSE: template: :1: invalid syntax");
}

TEST(Template, ReusableAndPartial) {
    auto t = Template::parse("{{.A}}-{{index .B 5}}");
    ASSERT_TRUE(t);
    json d = {{"A", "x"}, {"B", json::array()}};
    EXPECT_FALSE(t->execute(d));
    EXPECT_EQ(t->executePartial(d), "x-");
    auto copy = *t;
    EXPECT_EQ(copy.executePartial(json{{"A", "y"}, {"B", {1, 2, 3, 4, 5, 6}}}), "y-6");
}

}  // namespace
}  // namespace berth::cli
