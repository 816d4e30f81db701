#include "image/digest.h"

#include <openssl/evp.h>

namespace berth::image {

Result<Digest> Digest::parse(std::string_view s) {
    constexpr std::string_view kPrefix = "sha256:";
    if (s.substr(0, kPrefix.size()) != kPrefix)
        return invalid("invalid digest \"{}\": only sha256 is supported", s);
    auto hex = s.substr(kPrefix.size());
    if (hex.size() != 64) return invalid("invalid digest \"{}\": want 64 hex characters", s);
    for (char c : hex)
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
            return invalid("invalid digest \"{}\": not lower-case hex", s);
    return Digest{"sha256", std::string(hex)};
}

struct Sha256::Ctx {
    EVP_MD_CTX* md = EVP_MD_CTX_new();
    ~Ctx() { EVP_MD_CTX_free(md); }
};

Sha256::Sha256() : ctx_(std::make_unique<Ctx>()) {
    EVP_DigestInit_ex(ctx_->md, EVP_sha256(), nullptr);
}
Sha256::~Sha256() = default;
Sha256::Sha256(Sha256&&) noexcept = default;
Sha256& Sha256::operator=(Sha256&&) noexcept = default;

void Sha256::update(const void* data, size_t n) {
    if (n) EVP_DigestUpdate(ctx_->md, data, n);
}

Digest Sha256::finish() {
    unsigned char out[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    EVP_DigestFinal_ex(ctx_->md, out, &len);
    static const char* kHex = "0123456789abcdef";
    std::string hex;
    hex.reserve(len * 2);
    for (unsigned i = 0; i < len; i++) {
        hex.push_back(kHex[out[i] >> 4]);
        hex.push_back(kHex[out[i] & 15]);
    }
    return Digest{"sha256", std::move(hex)};
}

Digest sha256Of(std::string_view data) {
    Sha256 h;
    h.update(data);
    return h.finish();
}

}  // namespace berth::image
