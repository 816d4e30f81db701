// Internal: the API's JSON for images (ImageSummary, ImageInspect, history) and the image list
// filters.
#pragma once

#include <nlohmann/json.hpp>

#include "api/context.h"
#include "image/service.h"

namespace berth::api {

int64_t createdUnix(const std::string& rfc3339);
nlohmann::json imageSummaryJson(const image::Image& im, const Request& r);
nlohmann::json imageInspectJson(const image::Image& im, const Request& r,
                                const std::vector<std::string>& lowerDirs);
// images/json filters: dangling, label, reference, before, since (until accepted).
Result<std::vector<image::Image>> filterImages(Context& c, std::vector<image::Image> all,
                                               const engine::Filters& f, bool allImages);

}  // namespace berth::api
