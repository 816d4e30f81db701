// Docker's --format handling (cli/command/formatter, cli/command/inspect) and the Go value
// semantics it rests on: encoding/json output and fmt printing of JSON values.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "cli/template.h"
#include "common/result.h"

namespace berth::cli {

struct ListFormat {
    std::string_view defaultTable;             // e.g. "table {{.ID}}\t{{.Image}}\t{{.Names}}"
    std::string_view quietFormat = "{{.ID}}";  // what -q prints for the default table
};

// Renders a list command (`docker ps`, `images`, ...). `format` is the --format value: "" or
// "table" (the default table, or quietFormat when `quiet`), "table <tmpl>", "json" (one
// {{json .}} per row) or a template (one line per row, no alignment). Rows are the per-item
// contexts, keyed by docker's field names; `headers` maps them to column titles. Tables print
// the header row (a field without a header shows "<no value>", as docker's) even with no rows,
// aligned by tabwrite. Literal "\t" and "\n" in `format` become TAB and newline.
// Errors: "template parsing error: ..." for a bad template or a row failing to execute.
// docker's preFormat: "\t" and "\n" typed as two characters become the characters.
std::string unescapeFormat(std::string_view format);

Result<std::string> renderList(std::string_view format, const std::vector<nlohmann::json>& rows,
                               const nlohmann::json& headers, const ListFormat& list,
                               bool quiet = false);

// `docker inspect`-style output of items that were all found.
struct EachOutput {
    std::string out;                  // what goes to stdout
    std::vector<std::string> errors;  // items whose template failed (docker exits 1)
};
// "" => a JSON array indented by 4 ("[]" when empty); "json" => the array as compact JSON;
// otherwise the template (no "\t" replacement, as docker inspect) once per item, each followed
// by a newline. A template that does not parse is an Error (docker exits 64).
Result<EachOutput> renderEach(std::string_view format, const std::vector<nlohmann::json>& items,
                              const ExecOptions& opts = {});

// Go's json.Marshal / json.MarshalIndent(v, "", indent): Go's float format, and with
// escapeHtml "<", ">", "&" as \u003c, \u003e, \u0026 (docker's {{json}} does not escape them).
std::string goJsonCompact(const nlohmann::json& v, bool escapeHtml = true);
std::string goJsonIndent(const nlohmann::json& v, int indent = 4, bool escapeHtml = true);

// Go semantics over JSON values, shared with the template engine.
namespace go {
// fmt's %v: strings raw, 1.5, 1e+06, true, <nil>, [a b], map[k:v] (sorted keys).
std::string print(const nlohmann::json& v);
// fmt.Sprintf with %v %s %d %q %t %x %X %o %b %c %e %f %g %T %%, flags, width, precision.
// Lenient where JSON loses Go's types: %d prints integral floats, %f accepts integers.
std::string sprintf(std::string_view format, const std::vector<nlohmann::json>& args);
// strconv.Quote.
std::string quote(std::string_view s);
// strconv.FormatFloat(v, fmt, prec, 64) for fmt 'e', 'f', 'g'; prec -1 is the shortest.
std::string formatFloat(double v, char fmt, int prec);
// Template truth: false for no value, null, false, 0, "", [] and {}.
bool truth(const nlohmann::json& v);
// The Go type name of the value as decoded: string, int, float64, bool, []interface {}, ...
std::string typeName(const nlohmann::json& v);
// The index builtin. A missing key gives "" in a map of strings (Go's zero value for
// map[string]string, e.g. labels), else null.
Result<nlohmann::json> index(const nlohmann::json& item, const std::vector<nlohmann::json>& keys);

// The template function library.
bool isFunction(std::string_view name);
struct Arity {
    size_t n;
    bool variadic;
};
Arity arity(std::string_view name, bool headerFunctions);
// Calls a function other than the short-circuiting and/or; errors read "error calling x: ..."
// or Go's argument type errors.
Result<nlohmann::json> call(std::string_view name, const std::vector<nlohmann::json>& args,
                            bool headerFunctions);
}  // namespace go

}  // namespace berth::cli
