#include "runtime/spec.h"

namespace berth::spec {

const Namespace* Spec::findNamespace(const std::string& type) const {
    if (!linux) return nullptr;
    for (const auto& ns : linux->namespaces) {
        if (ns.type == type) return &ns;
    }
    return nullptr;
}

bool Spec::hasNamespace(const std::string& type) const { return findNamespace(type) != nullptr; }

}  // namespace berth::spec
