// Container names: docker's generated "adjective_surname" names and its validity rule.
#pragma once

#include <string>

namespace berth::engine {

// A random "adjective_surname" (e.g. "patient_noether"), as docker names unnamed containers.
// The caller checks it is free and asks again (docker appends a digit after a few tries).
std::string randomName();

// docker's rule for --name: /?[a-zA-Z0-9][a-zA-Z0-9_.-]+ (so at least two characters).
bool validName(const std::string& name);

}  // namespace berth::engine
