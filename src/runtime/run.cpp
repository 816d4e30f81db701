#include "common/log.h"
#include "common/unique_fd.h"
#include "runtime/container.h"
#include "runtime/init.h"
#include "runtime/supervise.h"

namespace berth::runtime {

Result<int> run(const Globals& g, const CreateOptions& o, bool detach, bool keep) {
    if (!detach) TRY(detail::prepareSupervisor());
    int ptyFd = -1;
    pid_t pid = TRY_CTX(createImpl(g, o, detach || !o.consoleSocket.empty() ? nullptr : &ptyFd),
                        "run {}", o.id);
    UniqueFd pty(ptyFd);
    auto st = start(g, o.id);
    if (!st) {
        (void)remove(g, o.id, true);
        return std::move(st).error().wrap("run " + o.id);
    }
    if (detach) return 0;
    auto code = detail::supervise(pid, pty.get());
    if (!keep) {
        auto rm = remove(g, o.id, true);
        if (!rm) log::warn("{}", rm.error().str());
    }
    return code;
}

}  // namespace berth::runtime
