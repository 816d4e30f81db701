// What the container lifecycle verbs (stop, kill, restart, pause, unpause, rm, update) share:
// the container path of the API and docker's "name per success, error per failure" loop.
#pragma once

#include <string>
#include <string_view>

#include "cli/verbs/util.h"

namespace berth::cli {

// "/containers/<urlencoded name>".
std::string sysContainerPath(std::string_view name);

// POSTs path(name) + suffix for every name (no body), echoing each name as docker does.
Result<int> sysPostEach(Ctx& ctx, const std::vector<std::string>& names, std::string_view suffix);

}  // namespace berth::cli
