// A UTF-8 LC_CTYPE for the threads that run libarchive (see internal.h).
#include <locale.h>

#include "image/archive/internal.h"

namespace berth::image::archive::detail {

namespace {

locale_t utf8Locale() {
    // Made once and kept: a locale_t costs a few KB and every unpack and tar uses it.
    static const locale_t loc = [] {
        locale_t l = ::newlocale(LC_CTYPE_MASK, "C.UTF-8", static_cast<locale_t>(0));
        return l ? l : ::newlocale(LC_CTYPE_MASK, "en_US.UTF-8", static_cast<locale_t>(0));
    }();
    return loc;
}

}  // namespace

ScopedUtf8Locale::ScopedUtf8Locale() {
    // Without a UTF-8 locale on the system the process locale stays: names outside it are
    // still kept byte for byte (hdrcharset=BINARY), only less like Go writes them.
    if (locale_t l = utf8Locale()) prev_ = ::uselocale(l);
}

ScopedUtf8Locale::~ScopedUtf8Locale() {
    if (prev_) ::uselocale(prev_);
}

}  // namespace berth::image::archive::detail
