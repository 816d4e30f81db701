// Registry error responses ({"errors":[{"code":"MANIFEST_UNKNOWN","message":"..."}]}) as text
// the way docker prints them: "manifest unknown: manifest unknown".
#pragma once

#include <string>

#include "common/result.h"
#include "image/registry/http.h"

namespace berth::image::registry {

// The registry's errors joined with "; ", else "<status> <reason>" (and a short body).
std::string registryErrorText(const HttpResponse& r);
// An Error for an unexpected response to `what` ("GET manifest x"), errno chosen from the
// status: ENOENT for 404, EACCES for 401/403, EIO otherwise.
Error registryError(const std::string& what, const HttpResponse& r);

}  // namespace berth::image::registry
