// Content digests ("sha256:<64 hex>") and a streaming SHA-256 (OpenSSL EVP).
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

#include "common/result.h"

namespace berth::image {

struct Digest {
    std::string algo = "sha256";
    std::string hex;  // lower-case, 64 chars for sha256

    // "sha256:<hex>"
    std::string str() const { return algo + ":" + hex; }
    // First 12 hex chars (docker's short ID).
    std::string shortHex() const { return hex.substr(0, 12); }
    bool empty() const { return hex.empty(); }
    bool operator==(const Digest&) const = default;
    auto operator<=>(const Digest&) const = default;

    // Accepts "sha256:<64 lower hex>" only (the only algorithm Berth stores).
    static Result<Digest> parse(std::string_view s);
};

// Streaming SHA-256.
class Sha256 {
public:
    Sha256();
    ~Sha256();
    Sha256(Sha256&&) noexcept;
    Sha256& operator=(Sha256&&) noexcept;
    void update(const void* data, size_t n);
    void update(std::string_view s) { update(s.data(), s.size()); }
    // Finishes and returns the digest; the object may not be updated afterwards.
    Digest finish();

private:
    struct Ctx;
    std::unique_ptr<Ctx> ctx_;
};

Digest sha256Of(std::string_view data);

}  // namespace berth::image
