// The labels docker compose puts on what it creates. Tools (docker compose itself, Portainer,
// VS Code) find a project's containers, networks and volumes by these exact names.
#pragma once

namespace berth::compose {

// The compose version we report in com.docker.compose.version: a plain docker compose release
// number, since tools parse it as a semver.
inline constexpr const char kComposeVersion[] = "2.29.0";

namespace label {

inline constexpr const char kProject[] = "com.docker.compose.project";
inline constexpr const char kService[] = "com.docker.compose.service";
inline constexpr const char kContainerNumber[] = "com.docker.compose.container-number";
inline constexpr const char kConfigHash[] = "com.docker.compose.config-hash";
inline constexpr const char kOneoff[] = "com.docker.compose.oneoff";
inline constexpr const char kSlug[] = "com.docker.compose.slug";
inline constexpr const char kWorkingDir[] = "com.docker.compose.project.working_dir";
inline constexpr const char kConfigFiles[] = "com.docker.compose.project.config_files";
inline constexpr const char kEnvironmentFile[] = "com.docker.compose.project.environment_file";
inline constexpr const char kVersion[] = "com.docker.compose.version";
inline constexpr const char kDependsOn[] = "com.docker.compose.depends_on";
inline constexpr const char kImage[] = "com.docker.compose.image";
inline constexpr const char kNetwork[] = "com.docker.compose.network";
inline constexpr const char kVolume[] = "com.docker.compose.volume";
inline constexpr const char kReplace[] = "com.docker.compose.replace";

}  // namespace label

}  // namespace berth::compose
