// YAML <-> JSON for Compose files, keeping where every node came from (for error messages).
//
// Reading: anchors/aliases are expanded, merge keys `<<` applied (a map or a list of maps;
// explicit keys win, earlier maps win over later ones), duplicate keys rejected. Scalars are
// typed as Compose (go-yaml) does: plain `true/false` -> bool, integers (also 0x, 0o, leading 0 =
// octal) -> int, floats -> double, `null`/`~`/empty -> null, anything else and every quoted or
// block scalar -> string. The tags `!reset` and `!override` are kept aside for the merge.
#pragma once

#include <map>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "common/result.h"

namespace berth::compose {

struct Mark {
    std::string file;
    int line = 0;  // 1-based
    int column = 0;
};
// JSON pointer -> where that node starts (for a mapping entry: where its key starts).
using Marks = std::map<std::string, Mark>;
// JSON pointer -> "!reset" or "!override" (the Compose merge tags).
using Tags = std::map<std::string, std::string>;

// One parsed file: its value, marks and merge tags, all keyed by JSON pointers into `value`.
struct YamlDoc {
    nlohmann::json value;
    Marks marks;
    Tags tags;
};

// Parse errors read "<file>:<line>:<col>: <message>". An empty document is null.
Result<YamlDoc> parseYamlDoc(std::string_view text, const std::string& fileName);
Result<nlohmann::json> parseYaml(std::string_view text, const std::string& fileName, Marks* marks);

// The type a plain (unquoted) scalar has: null, bool, int, double or string.
nlohmann::json typePlainScalar(std::string_view text);

// Block-style YAML (keys in the object's order); strings are quoted only when a plain scalar
// would read back as something else.
std::string toYaml(const nlohmann::json& value);

// JSON pointer helpers: "/services" + "a/b" -> "/services/a~1b".
std::string pointerAppend(std::string_view pointer, std::string_view key);
std::string pointerAppend(std::string_view pointer, size_t index);
// "/services/web/ports/0" -> "services.web.ports.0" (for messages).
std::string pointerToPath(std::string_view pointer);
// The mark of `pointer`, else of its nearest ancestor that has one; nullptr when none.
const Mark* findMark(const Marks& marks, std::string_view pointer);
// "<file>:<line>" for `pointer` (nearest marked ancestor), or `fallbackFile` when unmarked.
std::string markPrefix(const Marks& marks, std::string_view pointer,
                       const std::string& fallbackFile = "");

// Marks of the subtree at `from` (itself and below), re-rooted at `to`, added to `out`.
void copyMarks(const Marks& src, std::string_view from, Marks& out, std::string_view to);
// Remove the marks of the subtree at `pointer` (itself and below).
void eraseMarks(Marks& marks, std::string_view pointer);

}  // namespace berth::compose
