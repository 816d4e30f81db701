// Dockerfile parser, after docker's: parser directives (`# escape=`, `# syntax=`) at the top,
// comments, line continuations (escape char at the end of a line; comment and blank lines
// inside a continuation are skipped), case-insensitive instructions, leading --flags, JSON
// (exec) forms. Variables are not expanded here: that depends on the build state.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"

namespace berth::image::build {

struct Flag {
    std::string name;                  // without "--"
    std::optional<std::string> value;  // nullopt for a bare "--name"
};

struct Instruction {
    std::string cmd;       // lower-case name: "from", "run", ...
    std::string original;  // the logical line as written, continuations joined
    int line = 0;          // its first line (1-based)
    std::vector<Flag> flags;
    // Arguments, shaped per instruction:
    //   run cmd entrypoint shell: json ? the array : [rest of the line]
    //   copy add volume: json ? the array : whitespace-split words
    //   env label: [key1, value1, key2, value2, ...] (unexpanded, quotes kept)
    //   arg: [name or name=value, ...]
    //   from expose: whitespace-split words
    //   healthcheck: ["NONE"], ["CMD", args...] (json) or ["CMD-SHELL", command]
    //   onbuild: [the trigger's text]
    //   maintainer user workdir stopsignal: [rest of the line]
    std::vector<std::string> args;
    bool json = false;

    const Flag* flag(std::string_view name) const;
    // "--name=value" flags' values ("" when absent or bare).
    std::string flagValue(std::string_view name) const;
};

struct Stage {
    Instruction from;
    std::string baseName;  // as written (may hold ARG references)
    std::string name;      // the "AS" name, lower-case; empty when unnamed
    std::vector<Instruction> commands;
};

struct Dockerfile {
    char escape = '\\';
    std::string syntax;                 // `# syntax=` (recorded, not used)
    std::vector<Instruction> metaArgs;  // ARGs before the first FROM
    std::vector<Stage> stages;
};

// Errors name the file and line: "Dockerfile:7: unknown instruction: RUNN".
Result<Dockerfile> parseDockerfile(std::string_view text, const std::string& name = "Dockerfile");

// One logical line (an ONBUILD trigger, an import --change), same rules as in a Dockerfile.
Result<Instruction> parseInstruction(std::string_view line, char escape = '\\', int lineNo = 0);

}  // namespace berth::image::build
