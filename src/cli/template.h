// Go text/template, the subset docker users write in --format, executed over JSON data.
//
// Docker formats Go structs; Berth formats the JSON of the same objects, so a few Go rules are
// mapped onto JSON: a missing object key prints "<no value>" (Go's map rule), a field of null is
// "<no value>", and a field given arguments whose value is an object indexes it, standing in for
// docker's methods such as `{{.Label "com.example"}}`. Functions: docker's json, join, split,
// title, lower, upper, pad, truncate and Go's and, or, not, len, index, slice, print, printf,
// println, eq, ne, lt, le, gt, ge. define/template/block are not supported.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include <nlohmann/json_fwd.hpp>

#include "common/result.h"

namespace berth::cli {

struct ExecOptions {
    bool missingKeyError = false;  // Go's missingkey=error: a missing key is an error
    bool headerFunctions = false;  // docker's table headers: json, split, join, title, lower,
                                   // upper and truncate return their first argument unchanged
};

class Template {
  public:
    // Errors read like Go's: "template: :1: unexpected \"}\" in operand".
    static Result<Template> parse(std::string_view text);

    // Errors read like Go's: "template: :1:2: executing \"\" at <.A.B>: ...".
    Result<std::string> execute(const nlohmann::json& data, const ExecOptions& opts = {}) const;
    // What was written before an error, as docker keeps for table headers.
    std::string executePartial(const nlohmann::json& data, const ExecOptions& opts = {}) const;

    struct Tree;

  private:
    explicit Template(std::shared_ptr<const Tree> tree) : tree_(std::move(tree)) {}
    bool run(const nlohmann::json& data, const ExecOptions& opts, std::string& out,
             std::string& err) const;

    std::shared_ptr<const Tree> tree_;
};

}  // namespace berth::cli
