// Dockerfile instructions applied to an image config: `docker import --change` and
// `docker commit --change`. Accepted: CMD, ENTRYPOINT, ENV, EXPOSE, HEALTHCHECK, LABEL, ONBUILD,
// STOPSIGNAL, USER, VOLUME, WORKDIR, in exec (JSON array) or shell form where the Dockerfile
// allows both. Values of ENV, LABEL, EXPOSE, USER, VOLUME, WORKDIR and STOPSIGNAL go through
// the Dockerfile's word processing: quotes, backslash escapes and $VAR from the config's env.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "image/manifest.h"

namespace berth::image::transfer {

// Applies the instructions in order; on error c may be partly changed (callers work on a copy).
// Errors read like docker's: `RUN is not a valid change command`.
Status applyChanges(ContainerConfig& c, const std::vector<std::string>& changes);

// One word processed like the Dockerfile's shell lexer: 'single' and "double" quotes removed,
// \-escapes, $VAR, ${VAR}, ${VAR:-default}, ${VAR:+alternative} expanded from env (KEY=VALUE).
Result<std::string> processWord(std::string_view word, const std::vector<std::string>& env);

// Splits on whitespace outside quotes; words keep their quotes and escapes (for processWord).
Result<std::vector<std::string>> splitWords(std::string_view s);

// Go duration syntax ("30s", "1m30s", "500ms") in nanoseconds.
Result<int64_t> parseDuration(std::string_view s);

}  // namespace berth::image::transfer
