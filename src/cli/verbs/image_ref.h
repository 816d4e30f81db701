// Image reference helpers shared by the image verbs: docker's familiar names and the
// name/tag split of references as the daemon reports them.
#pragma once

#include <string>
#include <string_view>

namespace berth::cli {

struct ImageRef {
    std::string name;    // familiar: "busybox", "localhost:5000/x"
    std::string tag;     // "" when none
    std::string digest;  // "sha256:..." when the reference had @digest
};

// Splits "docker.io/library/busybox:latest" into {"busybox", "latest", ""}.
ImageRef parseImageRef(std::string_view ref);
// The familiar form of a repository name ("docker.io/library/x" -> "x").
std::string familiarName(std::string_view name);
// The full name docker prints after a pull ("docker.io/library/busybox:latest",
// "localhost:5000/x:latest"); `ref` without a tag or digest gets ":latest".
std::string fullRef(std::string_view ref);

}  // namespace berth::cli

namespace berth::cli {

class Ctx;
// X-Registry-Auth for the registry of `ref`: the stored login, else base64("{}") as docker
// sends when it has none.
std::string imageAuthHeader(const Ctx& ctx, std::string_view ref);
// The repository part of fullRef(ref) ("docker.io/library/busybox") and its tag or digest.
std::string fullName(std::string_view ref);

}  // namespace berth::cli
