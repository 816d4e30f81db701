#include "compose/hash.h"

#include <openssl/evp.h>

#include <nlohmann/json.hpp>

namespace berth::compose {

std::string configHash(const nlohmann::json& service) {
    nlohmann::json s = service;
    if (s.is_object()) {
        for (const char* k : {"scale", "build", "pull_policy", "profiles", "depends_on"})
            s.erase(k);
        if (auto d = s.find("deploy"); d != s.end() && d->is_object()) {
            d->erase("replicas");
            // `deploy: {replicas: 2}` and no deploy at all are the same container.
            if (d->empty()) s.erase(d);
        }
    }
    // nlohmann::json keeps object keys in a std::map: dump() is canonical.
    std::string text = s.dump();
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    EVP_Digest(text.data(), text.size(), md, &len, EVP_sha256(), nullptr);
    static const char kHex[] = "0123456789abcdef";
    std::string out;
    for (unsigned int i = 0; i < len; i++) {
        out.push_back(kHex[md[i] >> 4]);
        out.push_back(kHex[md[i] & 15]);
    }
    return out;
}

}  // namespace berth::compose
