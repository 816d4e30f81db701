// Media types of the OCI image spec and Docker's schema2.
#pragma once

#include <string_view>

namespace berth::image::media {

inline constexpr std::string_view kOciManifest = "application/vnd.oci.image.manifest.v1+json";
inline constexpr std::string_view kOciIndex = "application/vnd.oci.image.index.v1+json";
inline constexpr std::string_view kOciConfig = "application/vnd.oci.image.config.v1+json";
inline constexpr std::string_view kOciLayer = "application/vnd.oci.image.layer.v1.tar";
inline constexpr std::string_view kOciLayerGzip = "application/vnd.oci.image.layer.v1.tar+gzip";
inline constexpr std::string_view kOciLayerZstd = "application/vnd.oci.image.layer.v1.tar+zstd";
inline constexpr std::string_view kOciLayerNdGzip =
    "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip";

inline constexpr std::string_view kDockerManifest =
    "application/vnd.docker.distribution.manifest.v2+json";
inline constexpr std::string_view kDockerManifestList =
    "application/vnd.docker.distribution.manifest.list.v2+json";
inline constexpr std::string_view kDockerConfig = "application/vnd.docker.container.image.v1+json";
inline constexpr std::string_view kDockerLayer = "application/vnd.docker.image.rootfs.diff.tar";
inline constexpr std::string_view kDockerLayerGzip =
    "application/vnd.docker.image.rootfs.diff.tar.gzip";
inline constexpr std::string_view kDockerForeignLayer =
    "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip";

inline bool isIndex(std::string_view m) { return m == kOciIndex || m == kDockerManifestList; }
inline bool isManifest(std::string_view m) { return m == kOciManifest || m == kDockerManifest; }
inline bool isLayer(std::string_view m) {
    return m.find(".layer.") != std::string_view::npos ||
           m.find(".rootfs.") != std::string_view::npos;
}

}  // namespace berth::image::media
