// config.json "linux.seccomp": shape and required fields only. Whether libseccomp knows an
// action, operator, architecture or syscall is seccomp::validate's call.
#include "runtime/spec_json.h"

namespace berth::spec::detail {

namespace {

Status parseArgs(const Json& v, const std::string& path, std::vector<SeccompArg>& out) {
    return forEachObject(v, "args", path, [&](const Json& a, const std::string& p) -> Status {
        SeccompArg arg;
        TRY(require(a, "index", p, arg.index));
        TRY(require(a, "value", p, arg.value));
        TRY(read(a, "valueTwo", p, arg.valueTwo));
        TRY(require(a, "op", p, arg.op));
        out.push_back(std::move(arg));
        return {};
    });
}

Status parseSyscalls(const Json& v, const std::string& path, std::vector<SeccompSyscall>& out) {
    return forEachObject(v, "syscalls", path, [&](const Json& s, const std::string& p) -> Status {
        SeccompSyscall sc;
        TRY(require(s, "names", p, sc.names));
        if (sc.names.empty()) return invalid("{}: must not be empty", at(p, "names"));
        TRY(require(s, "action", p, sc.action));
        TRY(read(s, "errnoRet", p, sc.errnoRet));
        TRY(parseArgs(s, p, sc.args));
        out.push_back(std::move(sc));
        return {};
    });
}

}  // namespace

Status parseSeccompAt(const Json& v, const std::string& path, Seccomp& out) {
    TRY(require(v, "defaultAction", path, out.defaultAction));
    if (out.defaultAction.empty())
        return invalid("{}: must not be empty", at(path, "defaultAction"));
    TRY(read(v, "defaultErrnoRet", path, out.defaultErrnoRet));
    TRY(read(v, "architectures", path, out.architectures));
    TRY(read(v, "flags", path, out.flags));
    TRY(read(v, "listenerPath", path, out.listenerPath));
    TRY(read(v, "listenerMetadata", path, out.listenerMetadata));
    return parseSyscalls(v, path, out.syscalls);
}

}  // namespace berth::spec::detail
