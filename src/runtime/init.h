// The child side of `create`: the intermediate process joins and creates namespaces, then
// forks the container's init, which builds the rootfs, reports back and waits for `start`.
#pragma once

#include <string>
#include <vector>

#include "runtime/container.h"
#include "runtime/namespaces.h"
#include "runtime/seccomp.h"
#include "runtime/spec.h"

namespace berth::runtime::detail {

struct InitContext {
    const spec::Spec* spec = nullptr;
    const CreateOptions* opts = nullptr;
    std::string rootfs;    // absolute
    int fifoFd = -1;       // <state>/exec.fifo opened O_RDWR by the runtime
    int execPipeRead = -1; // read end of the exec pipe: the init closes it (it keeps the write end)
    int syncFd = -1;       // the child's end
    int consoleFd = -1;    // connected --console-socket, or -1
    bool ttyToParent = false;  // foreground run: send the pty master back over syncFd
    std::vector<ns::Join>* joins = nullptr;
    const seccomp::Program* seccomp = nullptr;  // compiled by the runtime before forking
    bool newUserNs = false;
    int newFlags = 0;  // CLONE_NEW* to unshare (user excluded)
};

// Runs in the forked intermediate process; never returns.
[[noreturn]] void intermediateMain(InitContext& ctx);

// fork() whose child is a child of our parent (CLONE_PARENT): the runtime, not the short-lived
// intermediate, is the parent of the container process, so it can reap it if setup fails and a
// foreground run/exec waits for it directly.
pid_t forkSibling();

}  // namespace berth::runtime::detail

namespace berth::runtime {

// create's body, shared with run: ptyOut non-null makes the init send a terminal's pty master
// back to the caller (foreground run with no --console-socket).
Result<pid_t> createImpl(const Globals& g, const CreateOptions& o, int* ptyOut);

}  // namespace berth::runtime
