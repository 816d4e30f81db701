// libArchive(): dlopen and dlsym, once (libarchive.h).
#include "cli/libarchive.h"

#include <dlfcn.h>

#include <cstdlib>
#include <mutex>

namespace berth::cli {

namespace {

LibArchive table;
std::string loadError;
bool loaded = false;

void load() {
    // The SONAME first (what the libarchive13 package installs), the dev symlink second.
    void* h = nullptr;
    for (const char* name : {"libarchive.so.13", "libarchive.so"}) {
        h = ::dlopen(name, RTLD_NOW | RTLD_LOCAL);
        if (h) break;
    }
    if (!h) {
        const char* e = ::dlerror();
        loadError =
            std::string("cannot load libarchive (install libarchive13): ") + (e ? e : "not found");
        return;
    }
    LibArchive t;
#define BERTH_LIBARCHIVE_LOAD(f)                                                     \
    t.f = reinterpret_cast<decltype(t.f)>(::dlsym(h, #f));                           \
    if (!t.f) {                                                                      \
        loadError = "libarchive has no " #f ": a libarchive 3.6 or newer is needed"; \
        return;                                                                      \
    }
    BERTH_LIBARCHIVE_FUNCTIONS(BERTH_LIBARCHIVE_LOAD)
#undef BERTH_LIBARCHIVE_LOAD
    table = t;
    loaded = true;
}

}  // namespace

Result<const LibArchive*> libArchive() {
    static std::once_flag once;
    std::call_once(once, load);
    if (!loaded) return makeError(ENOENT, "{}", loadError);
    return &table;
}

const LibArchive& la() {
    if (!loaded) std::abort();  // a caller skipped libArchive()
    return table;
}

}  // namespace berth::cli
