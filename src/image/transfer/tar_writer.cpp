// libarchive-backed tar writer (see tar_writer.h).
#include "image/transfer/tar_writer.h"

#include <archive.h>
#include <archive_entry.h>

#include <optional>
#include <vector>

namespace berth::image::transfer {

struct TarWriter::Sink {
    archive::SinkFn fn;
    std::optional<Error> err;

    static la_ssize_t writeCb(struct ::archive* a, void* self, const void* data, size_t n) {
        auto* s = static_cast<Sink*>(self);
        auto st = s->fn(data, n);
        if (!st) {
            s->err = st.error();
            archive_set_error(a, EIO, "%s", st.error().str().c_str());
            return -1;
        }
        return static_cast<la_ssize_t>(n);
    }
};

TarWriter::TarWriter() : sink_(std::make_unique<Sink>()) {}

TarWriter::~TarWriter() {
    // Not closed: a failed save; drop the archive without writing its trailer.
    if (!a_) return;
    if (!closed_) archive_write_fail(a_);
    archive_write_free(a_);
}

Error TarWriter::fail(std::string_view what) {
    if (sink_->err) return sink_->err->wrap(what);
    const char* m = archive_error_string(a_);
    return makeError(EIO, "{}: {}", what, m ? m : "unknown archive error");
}

Result<std::unique_ptr<TarWriter>> TarWriter::open(archive::SinkFn sink) {
    std::unique_ptr<TarWriter> w(new TarWriter());
    w->sink_->fn = std::move(sink);
    w->a_ = archive_write_new();
    if (!w->a_) return makeError(ENOMEM, "archive_write_new");
    archive_write_set_format_pax_restricted(w->a_);
    archive_write_add_filter_none(w->a_);
    // No padding of the last block to 10 KiB: the archive ends after its two zero blocks.
    archive_write_set_bytes_in_last_block(w->a_, 1);
    if (archive_write_open(w->a_, w->sink_.get(), nullptr, &Sink::writeCb, nullptr) != ARCHIVE_OK)
        return w->fail("open tar writer");
    return w;
}

Status TarWriter::header(const std::string& name, unsigned type, int mode, int64_t size,
                         const std::string& link, int64_t mtime) {
    struct archive_entry* e = archive_entry_new();
    if (!e) return makeError(ENOMEM, "archive_entry_new");
    archive_entry_set_pathname(e, name.c_str());
    archive_entry_set_filetype(e, type);
    archive_entry_set_perm(e, static_cast<mode_t>(mode));
    archive_entry_set_size(e, size);
    archive_entry_set_uid(e, 0);
    archive_entry_set_gid(e, 0);
    archive_entry_set_mtime(e, mtime, 0);
    if (!link.empty()) archive_entry_set_symlink(e, link.c_str());
    int rc = archive_write_header(a_, e);
    archive_entry_free(e);
    if (rc < ARCHIVE_WARN) return fail(fmt::format("write tar header {}", name));
    return {};
}

Status TarWriter::addFile(const std::string& name, std::string_view data, int64_t mtime) {
    TRY(header(name, AE_IFREG, 0644, static_cast<int64_t>(data.size()), "", mtime));
    if (!data.empty() && archive_write_data(a_, data.data(), data.size()) < 0)
        return fail(fmt::format("write {}", name));
    return {};
}

Status TarWriter::addStream(const std::string& name, int64_t size, const archive::ReadFn& src,
                            int64_t mtime) {
    TRY(header(name, AE_IFREG, 0644, size, "", mtime));
    std::vector<char> buf(256 << 10);
    int64_t left = size;
    while (left > 0) {
        size_t want = static_cast<size_t>(std::min<int64_t>(left, buf.size()));
        size_t n = TRY_CTX(src(buf.data(), want), "read {}", name);
        if (n == 0) return invalid("write {}: source ended {} bytes short", name, left);
        if (archive_write_data(a_, buf.data(), n) < 0) return fail(fmt::format("write {}", name));
        left -= static_cast<int64_t>(n);
    }
    return {};
}

Status TarWriter::addDir(const std::string& name, int64_t mtime) {
    return header(name.back() == '/' ? name : name + "/", AE_IFDIR, 0755, 0, "", mtime);
}

Status TarWriter::addSymlink(const std::string& name, const std::string& target, int64_t mtime) {
    return header(name, AE_IFLNK, 0777, 0, target, mtime);
}

Status TarWriter::close() {
    if (closed_) return {};
    closed_ = true;
    int rc = archive_write_close(a_);
    if (rc != ARCHIVE_OK) return fail("finish tar");
    return {};
}

}  // namespace berth::image::transfer
