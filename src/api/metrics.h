// The API's Prometheus metrics: a request-latency histogram and request counters by method
// and status class.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>

namespace berth::api {

class Metrics {
  public:
    void observe(const std::string& method, int status, double seconds);
    // Prometheus text exposition of the API's own metrics.
    std::string text() const;

  private:
    static constexpr std::array<double, 11> kBuckets = {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                                        0.1,   0.25,   0.5,   1,    5};
    struct Hist {
        std::array<uint64_t, kBuckets.size()> counts{};
        uint64_t count = 0;
        double sum = 0;
    };
    mutable std::mutex mu_;
    std::map<std::string, Hist> byMethod_;
    std::map<std::pair<std::string, std::string>, uint64_t> requests_;  // (method, code)
};

}  // namespace berth::api
