// libarchive-backed streaming readers (see tar_reader.h).
#include "image/transfer/tar_reader.h"

#include <archive.h>
#include <archive_entry.h>

#include <vector>

namespace berth::image::transfer {

namespace {

// The pull source behind libarchive's read callback; keeps the source's own error so that it
// is reported instead of libarchive's generic one.
struct PullSource {
    archive::ReadFn fn;
    std::vector<char> buf = std::vector<char>(256 << 10);
    std::optional<Error> err;

    static la_ssize_t readCb(struct ::archive* a, void* self, const void** out) {
        auto* s = static_cast<PullSource*>(self);
        auto n = s->fn(s->buf.data(), s->buf.size());
        if (!n) {
            s->err = n.error();
            archive_set_error(a, EIO, "%s", n.error().str().c_str());
            return -1;
        }
        *out = s->buf.data();
        return static_cast<la_ssize_t>(*n);
    }
    Error fail(struct ::archive* a, std::string_view what) const {
        if (err) return err->wrap(what);
        const char* m = archive_error_string(a);
        return invalid("{}: {}", what, m ? m : "unknown archive error");
    }
};

}  // namespace

struct TarReader::Src : PullSource {};

std::string normalizeArchivePath(std::string_view p) {
    std::vector<std::string_view> parts;
    size_t i = 0;
    while (i <= p.size()) {
        size_t j = p.find('/', i);
        if (j == std::string_view::npos) j = p.size();
        auto part = p.substr(i, j - i);
        if (part == "..") {
            if (parts.empty()) return "";
            parts.pop_back();
        } else if (!part.empty() && part != ".") {
            parts.push_back(part);
        }
        i = j + 1;
    }
    std::string out;
    for (auto part : parts) {
        if (!out.empty()) out += '/';
        out += part;
    }
    return out;
}

TarReader::TarReader() : src_(std::make_unique<Src>()) {}

TarReader::~TarReader() {
    if (a_) archive_read_free(a_);
}

Error TarReader::fail(std::string_view what) {
    return src_->fail(a_, what);
}

Result<std::unique_ptr<TarReader>> TarReader::open(archive::ReadFn src) {
    std::unique_ptr<TarReader> r(new TarReader());
    r->src_->fn = std::move(src);
    r->a_ = archive_read_new();
    if (!r->a_) return makeError(ENOMEM, "archive_read_new");
    archive_read_support_filter_all(r->a_);
    archive_read_support_format_tar(r->a_);
    archive_read_support_format_gnutar(r->a_);
    if (archive_read_open(r->a_, r->src_.get(), nullptr, &PullSource::readCb, nullptr) !=
        ARCHIVE_OK)
        return r->fail("open tar");
    return r;
}

Result<std::optional<TarEntry>> TarReader::next() {
    struct archive_entry* e = nullptr;
    int rc = archive_read_next_header(a_, &e);
    if (rc == ARCHIVE_EOF) return std::optional<TarEntry>{};
    if (rc < ARCHIVE_WARN) return fail("read tar header");
    TarEntry t;
    const char* name = archive_entry_pathname(e);
    t.name = normalizeArchivePath(name ? name : "");
    t.size = archive_entry_size_is_set(e) ? archive_entry_size(e) : 0;
    if (const char* hl = archive_entry_hardlink(e)) {
        t.type = TarEntry::Type::Hardlink;
        t.link = normalizeArchivePath(hl);
        return std::optional<TarEntry>(std::move(t));
    }
    switch (archive_entry_filetype(e)) {
        case AE_IFREG:
            t.type = TarEntry::Type::File;
            break;
        case AE_IFDIR:
            t.type = TarEntry::Type::Dir;
            break;
        case AE_IFLNK:
            t.type = TarEntry::Type::Symlink;
            t.link = archive_entry_symlink(e) ? archive_entry_symlink(e) : "";
            break;
        default:
            t.type = TarEntry::Type::Other;
            break;
    }
    return std::optional<TarEntry>(std::move(t));
}

Result<size_t> TarReader::read(void* buf, size_t n) {
    la_ssize_t got = archive_read_data(a_, buf, n);
    if (got < 0) return fail("read tar data");
    return static_cast<size_t>(got);
}

archive::ReadFn TarReader::entryReader() {
    return [this](void* buf, size_t n) { return read(buf, n); };
}

Result<std::string> TarReader::readAll(int64_t max) {
    std::string out;
    char buf[64 << 10];
    while (true) {
        size_t n = TRY(read(buf, sizeof buf));
        if (n == 0) break;
        if (static_cast<int64_t>(out.size() + n) > max)
            return invalid("entry larger than {} bytes", max);
        out.append(buf, n);
    }
    return out;
}

namespace {

// A raw-format libarchive reader: the decompressed bytes of its input.
struct Decompressor {
    PullSource src;
    struct ::archive* a = nullptr;
    bool eof = false;

    ~Decompressor() {
        if (a) archive_read_free(a);
    }
    Error fail(std::string_view what) const { return src.fail(a, what); }
};

}  // namespace

Result<archive::ReadFn> decompressingReader(archive::ReadFn src) {
    auto d = std::make_shared<Decompressor>();
    d->src.fn = std::move(src);
    d->a = archive_read_new();
    if (!d->a) return makeError(ENOMEM, "archive_read_new");
    archive_read_support_filter_all(d->a);
    archive_read_support_format_raw(d->a);
    archive_read_support_format_empty(d->a);
    if (archive_read_open(d->a, &d->src, nullptr, &PullSource::readCb, nullptr) != ARCHIVE_OK)
        return d->fail("decompress");
    struct archive_entry* e = nullptr;
    int rc = archive_read_next_header(d->a, &e);
    if (rc == ARCHIVE_EOF)
        d->eof = true;
    else if (rc < ARCHIVE_WARN)
        return d->fail("decompress");
    return archive::ReadFn([d](void* buf, size_t n) -> Result<size_t> {
        if (d->eof) return size_t{0};
        la_ssize_t got = archive_read_data(d->a, buf, n);
        if (got < 0) return d->fail("decompress");
        return static_cast<size_t>(got);
    });
}

}  // namespace berth::image::transfer
