// Image references parsed like docker's ParseNormalizedNamed:
//   busybox              -> docker.io/library/busybox:latest
//   localhost:5000/x:1   -> localhost:5000/x:1
//   name@sha256:<hex>    -> by digest (tag optional alongside)
#pragma once

#include <string>
#include <string_view>

#include "common/result.h"

namespace berth::image {

inline constexpr std::string_view kDefaultDomain = "docker.io";

struct Reference {
    std::string domain;  // "docker.io", "localhost:5000", "127.0.0.1:5000"
    std::string path;    // "library/busybox", "x/y"
    std::string tag;     // empty when only a digest was given
    std::string digest;  // "sha256:<hex>" or empty

    // "docker.io/library/busybox"
    std::string name() const { return domain + "/" + path; }
    // Docker's familiar form of the name: "busybox", "user/x", "localhost:5000/x".
    std::string familiarName() const;
    // name[:tag][@digest] in full form.
    std::string str() const;
    // familiarName()[:tag][@digest]
    std::string familiar() const;
    // The registry host to talk to ("registry-1.docker.io" for docker.io).
    std::string registryHost() const;

    // Parses and normalises; `latest` is added when neither tag nor digest is given and
    // defaultTag is true. Errors name the input: `invalid reference format: "Busybox"`.
    static Result<Reference> parse(std::string_view s, bool defaultTag = true);
};

// True for a string that looks like (a prefix of) an image ID: 1-64 lower hex chars,
// optionally with "sha256:".
bool looksLikeId(std::string_view s);

}  // namespace berth::image
