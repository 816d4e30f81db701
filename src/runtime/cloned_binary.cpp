#include "runtime/cloned_binary.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "common/sys.h"

namespace berth::cloned {

namespace {
constexpr int kSeals = F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE;
}

bool isCloned() {
    auto fd = sys::open("/proc/self/exe", O_RDONLY);
    if (!fd) return false;
    int seals = ::fcntl(fd->get(), F_GET_SEALS);
    return seals >= 0 && (seals & kSeals) == kSeals;
}

Status ensureCloned(char** argv, char** envp) {
    if (isCloned()) return {};
    auto self = TRY_CTX(sys::open("/proc/self/exe", O_RDONLY), "clone runtime binary");
    struct stat st;
    if (::fstat(self.get(), &st) < 0) return errnoError("stat /proc/self/exe");
    UniqueFd mem(static_cast<int>(
        ::syscall(SYS_memfd_create, "berth-runtime", MFD_CLOEXEC | MFD_ALLOW_SEALING)));
    if (!mem) return errnoError("memfd_create");
    off_t off = 0;
    while (off < st.st_size) {
        ssize_t n = ::sendfile(mem.get(), self.get(), &off, static_cast<size_t>(st.st_size - off));
        if (n < 0) {
            if (errno == EINTR) continue;
            return errnoError("copy runtime binary to memfd");
        }
        if (n == 0) break;
    }
    // F_SEAL_WRITE waits for transient page pins and gives EBUSY if they outlast it (seen once
    // in ~600 runs under load): retry briefly.
    for (int i = 0;; i++) {
        if (::fcntl(mem.get(), F_ADD_SEALS, kSeals) == 0) break;
        if (errno != EBUSY || i == 20) return errnoError("seal memfd");
        ::usleep(1000);
    }
    ::fexecve(mem.get(), argv, envp);
    return errnoError("re-exec runtime from sealed memfd");
}

}  // namespace berth::cloned
