// Command-line flags with the semantics of Go's pflag, which the docker CLI uses: `-it`
// clusters, `--name=value` and `--name value`, `-p80` and `-p=80`, `--rm=false`, repeated list
// flags, `--` ending the flags, and (for commands like `run`) flags only before the first
// positional argument. Errors are worded as pflag words them, because scripts and users match
// them ("unknown flag: --bogus").
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"

namespace berth::cli {

enum class FlagKind {
    Bool,
    String,
    List,      // repeatable; each occurrence appends (docker's "list", "stringArray", "filter")
    Int,       // validated as a signed integer
    Uint,      // validated as an unsigned integer
    Float,     // validated as a decimal number (e.g. --cpus)
};

struct FlagDef {
    std::string name;
    char shorthand = 0;
    FlagKind kind = FlagKind::String;
    std::string typeName;  // shown in help: "string", "list", "int", "bytes", "duration", ...
    std::string defValue;  // as text; "" for none
    std::string usage;
    bool hidden = false;
    bool showDefault = true;  // help prints (default X) when defValue is not the zero value
};

class Flags {
public:
    // Definition (while building a command).
    Flags& boolean(std::string name, char shorthand, std::string usage, bool def = false);
    Flags& string(std::string name, char shorthand, std::string def, std::string usage,
                  std::string typeName = "string");
    Flags& list(std::string name, char shorthand, std::string usage,
                std::string typeName = "list");
    Flags& integer(std::string name, char shorthand, int64_t def, std::string usage,
                   std::string typeName = "int");
    Flags& uinteger(std::string name, char shorthand, uint64_t def, std::string usage,
                    std::string typeName = "uint");
    Flags& decimal(std::string name, char shorthand, std::string def, std::string usage,
                   std::string typeName = "decimal");
    // Marks the last defined flag hidden (accepted, not in help).
    Flags& hide();
    // Marks the last defined flag: help prints no "(default ...)".
    Flags& noDefault();

    // Parses args (without the command path). With interspersed=false the first positional
    // argument ends the flags, as for `run IMAGE CMD...`. Errors carry pflag's wording.
    Status parse(const std::vector<std::string>& args, bool interspersed = true);

    // Values after parse. Asking for an undefined flag is a programming error (aborts).
    bool b(std::string_view name) const;
    const std::string& s(std::string_view name) const;
    const std::vector<std::string>& l(std::string_view name) const;
    int64_t i(std::string_view name) const;
    uint64_t u(std::string_view name) const;
    double f(std::string_view name) const;
    bool changed(std::string_view name) const;
    bool helpRequested() const { return help_; }

    const std::vector<std::string>& args() const { return args_; }
    const std::vector<FlagDef>& defs() const { return defs_; }

    // The "Options:" block of --help: aligned, wrapped like cobra's.
    std::string usageText() const;

private:
    struct Value {
        std::string s;
        std::vector<std::string> list;
        bool changed = false;
    };
    const FlagDef* findLong(std::string_view name) const;
    const FlagDef* findShort(char c) const;
    Status set(const FlagDef& d, std::string_view value);
    const Value& value(std::string_view name) const;
    Flags& add(FlagDef d);

    std::vector<FlagDef> defs_;
    std::map<std::string, Value, std::less<>> values_;
    std::vector<std::string> args_;
    bool help_ = false;
};

// Wraps text to `width` columns, continuation lines indented by `indent` spaces; keeps the
// text's own line breaks.
std::string wrapText(std::string_view text, size_t indent, size_t width);

}  // namespace berth::cli
