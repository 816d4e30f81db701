// Between a container record and the network layer (network/network.h).
#pragma once

#include <vector>

#include "engine/internal.h"

namespace berth::net {
struct SandboxSpec;
struct SandboxInfo;
struct EndpointInfo;
struct PortBinding;
}  // namespace berth::net

namespace berth::engine {

Result<std::vector<net::PortBinding>> portBindings(const Json& hostConfig, const Json& exposed);
Result<net::SandboxSpec> sandboxSpec(const Container& c);
// At start, as docker: the networks and the container:<name> a container joins must exist
// ("network x not found", "No such container: x", 404). Create does not check them: a 404
// from create makes the docker CLI pull the image.
Status checkNetworkTargets(const Engine::Impl& impl, const Container& c);
Json endpointJson(const net::EndpointInfo& e);
// NetworkSettings (Ports with every exposed port, Networks, the legacy bridge fields).
Json networkSettingsJson(const net::SandboxInfo& sb, const Json& exposedPorts);

}  // namespace berth::engine
