// Compose-spec variable interpolation of one string ($VAR, ${VAR:-default}, ...).
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"

namespace berth::compose {

// A variable's value, nullopt when it is not set (an empty value is set).
using Lookup = std::function<std::optional<std::string>(std::string_view name)>;

// Compose-spec interpolation of one string: $VAR, ${VAR}, ${VAR:-default}, ${VAR-default},
// ${VAR:?err}, ${VAR?err}, ${VAR:+alt}, ${VAR+alt}, nested (${A:-${B:-x}}), $$ -> $.
// Unset variables without a default become "" and their names are appended to *unset
// (once each). ${VAR:?msg} on an unset/empty var is an error: "required variable VAR is missing a
// value: msg" (docker compose wording); a bad form ("${", "${VAR" unterminated, "${:-x}", "$}") is
// an error "invalid interpolation format for ... " naming the text.
//
// The word after an operator is itself interpolated, but only when it is used: the default of a
// set variable is not looked at (no unset warning, no required error from inside it), as in sh.
Result<std::string> interpolate(std::string_view text, const Lookup& lookup,
                                std::vector<std::string>* unset = nullptr);

// True when `name` is a valid variable name ([_A-Za-z][_A-Za-z0-9]*).
bool isVariableName(std::string_view name);

}  // namespace berth::compose
