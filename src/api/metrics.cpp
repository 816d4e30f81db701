#include "api/metrics.h"

#include <fmt/core.h>

namespace berth::api {

void Metrics::observe(const std::string& method, int status, double seconds) {
    std::lock_guard lk(mu_);
    auto& h = byMethod_[method];
    for (size_t i = 0; i < kBuckets.size(); i++)
        if (seconds <= kBuckets[i]) h.counts[i]++;
    h.count++;
    h.sum += seconds;
    requests_[{method, std::to_string(status)}]++;
}

std::string Metrics::text() const {
    std::lock_guard lk(mu_);
    std::string out;
    out += "# HELP berth_api_requests_total API requests by method and status code.\n";
    out += "# TYPE berth_api_requests_total counter\n";
    for (auto& [k, n] : requests_)
        out += fmt::format("berth_api_requests_total{{method=\"{}\",code=\"{}\"}} {}\n", k.first,
                           k.second, n);
    out += "# HELP berth_api_request_duration_seconds API request latency.\n";
    out += "# TYPE berth_api_request_duration_seconds histogram\n";
    for (auto& [m, h] : byMethod_) {
        for (size_t i = 0; i < kBuckets.size(); i++)
            out += fmt::format(
                "berth_api_request_duration_seconds_bucket{{method=\"{}\",le=\"{}\"}} {}\n", m,
                kBuckets[i], h.counts[i]);
        out += fmt::format(
            "berth_api_request_duration_seconds_bucket{{method=\"{}\",le=\"+Inf\"}} {}\n", m,
            h.count);
        out +=
            fmt::format("berth_api_request_duration_seconds_sum{{method=\"{}\"}} {}\n", m, h.sum);
        out += fmt::format("berth_api_request_duration_seconds_count{{method=\"{}\"}} {}\n", m,
                           h.count);
    }
    return out;
}

}  // namespace berth::api
