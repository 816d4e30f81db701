// Docker's --format handling (cli/command/formatter, cli/command/inspect): list tables and
// templates, and inspect's per-item output. The Go semantics under it are in format_json.cpp
// (encoding/json), format_go.cpp (fmt, strconv) and template_funcs.cpp (the function library).
#include "cli/format.h"

#include <nlohmann/json.hpp>

#include "cli/table.h"

namespace berth::cli {

using nlohmann::json;

namespace {

void replaceAll(std::string& s, std::string_view from, std::string_view to) {
    for (size_t p = s.find(from); p != std::string::npos; p = s.find(from, p + to.size()))
        s.replace(p, from.size(), to);
}

}  // namespace

std::string unescapeFormat(std::string_view format) {
    std::string f(format);
    replaceAll(f, "\\t", "\t");
    replaceAll(f, "\\n", "\n");
    return f;
}

Result<std::string> renderList(std::string_view format, const std::vector<json>& rows,
                               const json& headers, const ListFormat& list, bool quiet) {
    std::string f(format);
    if (f.empty() || f == "table") f = quiet ? list.quietFormat : list.defaultTable;
    bool table = f.starts_with("table");
    if (table)
        f.erase(0, 5);
    else if (f == "json")
        f = "{{json .}}";
    size_t b = f.find_first_not_of(' '), e = f.find_last_not_of(' ');
    f = b == std::string::npos ? "" : f.substr(b, e - b + 1);
    f = unescapeFormat(f);

    auto tmpl = Template::parse(f);
    if (!tmpl) return invalid("template parsing error: {}", tmpl.error().msg);
    std::string body;
    for (const json& row : rows) {
        auto r = tmpl->execute(row);
        if (!r) return invalid("template parsing error: {}", r.error().msg);
        body += *r;
        body += '\n';
    }
    if (!table) return body;
    // Docker ignores header errors and keeps what was written.
    std::string header = tmpl->executePartial(headers, ExecOptions{.headerFunctions = true});
    return tabwrite(header + "\n" + body);
}

Result<EachOutput> renderEach(std::string_view format, const std::vector<json>& items,
                              const ExecOptions& opts) {
    EachOutput res;
    if (format.empty() || format == "json") {
        json arr = json::array();
        for (const json& it : items) arr.push_back(it);
        res.out = (format.empty() ? goJsonIndent(arr, 4) : goJsonCompact(arr)) + "\n";
        return res;
    }
    auto tmpl = Template::parse(format);
    if (!tmpl) return invalid("template parsing error: {}", tmpl.error().msg);
    for (const json& it : items) {
        auto r = tmpl->execute(it, opts);
        if (!r) {
            res.errors.push_back("template parsing error: " + r.error().msg);
            continue;
        }
        res.out += *r;
        res.out += '\n';
    }
    if (res.out.empty()) res.out = "\n";
    return res;
}

}  // namespace berth::cli
