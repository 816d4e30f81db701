// Dockerfile variable expansion and word splitting, after docker's shell lexer: $VAR, ${VAR},
// ${VAR:-word} ${VAR-word} ${VAR:+word} ${VAR+word} ${VAR:?msg} ${VAR?msg}; single quotes are
// literal, double quotes expand; the escape character (\ or ` per `# escape=`) quotes the next
// character. Quotes are removed from the result.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"

namespace berth::image::build {

// A variable's value, nullopt when unset.
using Lookup = std::function<std::optional<std::string>(std::string_view name)>;

// Lookup over "K=V" entries (the last one of a name wins).
Lookup envLookup(const std::vector<std::string>& env);

class ShellLex {
public:
    explicit ShellLex(char escape = '\\') : escape_(escape) {}

    // One word: expanded, quotes removed; whitespace is kept as is.
    Result<std::string> processWord(std::string_view word, const Lookup& env) const;
    // Splits on unquoted whitespace (also whitespace produced by unquoted expansions), then
    // expands: `a "b c" $X` with X="d e" -> [a, b c, d, e].
    Result<std::vector<std::string>> processWords(std::string_view text, const Lookup& env) const;

private:
    char escape_;
};

}  // namespace berth::image::build
