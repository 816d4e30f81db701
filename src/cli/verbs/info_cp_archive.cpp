#include "cli/verbs/info_cp_archive.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <memory>
#include <vector>

#include "cli/libarchive.h"

namespace berth::cli {

namespace {

struct ArchiveWriteDel {
    void operator()(archive* a) const { la().archive_write_free(a); }
};
struct ArchiveReadDel {
    void operator()(archive* a) const { la().archive_read_free(a); }
};
struct EntryDel {
    void operator()(archive_entry* e) const { la().archive_entry_free(e); }
};

la_ssize_t appendCb(archive*, void* user, const void* buf, size_t n) {
    static_cast<std::string*>(user)->append(static_cast<const char*>(buf), n);
    return static_cast<la_ssize_t>(n);
}

Status addPath(archive* a, const std::string& path, const std::string& name, bool follow) {
    struct stat st {};
    if ((follow ? ::stat(path.c_str(), &st) : ::lstat(path.c_str(), &st)) != 0)
        return errnoError("lstat {}", path);
    std::unique_ptr<archive_entry, EntryDel> e(la().archive_entry_new());
    la().archive_entry_copy_stat(e.get(), &st);
    std::string entryName = S_ISDIR(st.st_mode) && name != "." ? name + "/" : name;
    if (name == ".") entryName = "./";
    la().archive_entry_set_pathname(e.get(), entryName.c_str());
    if (S_ISLNK(st.st_mode)) {
        std::string target(4096, '\0');
        ssize_t n = ::readlink(path.c_str(), target.data(), target.size());
        if (n < 0) return errnoError("readlink {}", path);
        target.resize(static_cast<size_t>(n));
        la().archive_entry_set_symlink(e.get(), target.c_str());
        la().archive_entry_set_size(e.get(), 0);
    } else if (!S_ISREG(st.st_mode)) {
        la().archive_entry_set_size(e.get(), 0);
    }
    if (la().archive_write_header(a, e.get()) != ARCHIVE_OK)
        return makeError(EIO, "archiving {}: {}", path, la().archive_error_string(a));
    if (S_ISREG(st.st_mode)) {
        int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
        if (fd < 0) return errnoError("open {}", path);
        char buf[65536];
        ssize_t n;
        while ((n = ::read(fd, buf, sizeof buf)) > 0)
            if (la().archive_write_data(a, buf, static_cast<size_t>(n)) < 0) {
                ::close(fd);
                return makeError(EIO, "archiving {}: {}", path, la().archive_error_string(a));
            }
        int err = errno;
        ::close(fd);
        if (n < 0) {
            errno = err;
            return errnoError("read {}", path);
        }
    }
    if (S_ISDIR(st.st_mode)) {
        DIR* d = ::opendir(path.c_str());
        if (!d) return errnoError("open {}", path);
        std::vector<std::string> kids;
        while (auto* de = ::readdir(d)) {
            std::string n = de->d_name;
            if (n != "." && n != "..") kids.push_back(n);
        }
        ::closedir(d);
        std::sort(kids.begin(), kids.end());
        for (auto& k : kids)
            TRY(addPath(a, path + "/" + k, (name == "." ? "." : name) + "/" + k, false));
    }
    return {};
}

// "a/b" with srcBase "a" and dstBase "x" -> "x/b" (docker's RebaseArchiveEntries).
std::string rebase(const std::string& name, const std::string& srcBase,
                   const std::string& dstBase) {
    if (srcBase.empty()) return name;
    std::string n = name;
    if (n == srcBase || n == srcBase + "/") return dstBase + n.substr(srcBase.size());
    if (n.starts_with(srcBase + "/")) return dstBase + n.substr(srcBase.size());
    return n;
}

bool unsafeName(const std::string& n) {
    if (n.empty() || n[0] == '/') return true;
    size_t start = 0;
    while (start <= n.size()) {
        size_t slash = n.find('/', start);
        if (slash == std::string::npos) slash = n.size();
        if (n.compare(start, slash - start, "..") == 0 && slash - start == 2) return true;
        start = slash + 1;
    }
    return false;
}

}  // namespace

Result<std::string> infoTarPath(const std::string& path, const std::string& topName,
                                bool followLink) {
    TRY(libArchive());
    std::string out;
    std::unique_ptr<archive, ArchiveWriteDel> a(la().archive_write_new());
    la().archive_write_set_format_pax_restricted(a.get());
    la().archive_write_set_bytes_in_last_block(a.get(), 1);
    if (la().archive_write_open(a.get(), &out, nullptr, appendCb, nullptr) != ARCHIVE_OK)
        return makeError(EIO, "creating a tar: {}", la().archive_error_string(a.get()));
    TRY(addPath(a.get(), path, topName, followLink));
    if (la().archive_write_close(a.get()) != ARCHIVE_OK)
        return makeError(EIO, "creating a tar: {}", la().archive_error_string(a.get()));
    return out;
}

Result<int64_t> infoUntar(FILE* in, const std::string& dir, const std::string& srcBase,
                          const std::string& dstBase) {
    TRY(libArchive());
    std::unique_ptr<archive, ArchiveReadDel> a(la().archive_read_new());
    la().archive_read_support_format_tar(a.get());
    la().archive_read_support_format_gnutar(a.get());
    if (la().archive_read_open_FILE(a.get(), in) != ARCHIVE_OK)
        return makeError(EIO, "reading the archive: {}", la().archive_error_string(a.get()));
    // Extract relative to the destination so symlinks above it are allowed (it was resolved
    // already) and none below it can be followed (SECURE_SYMLINKS).
    int cwd = ::open(".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (cwd < 0) return errnoError("open .");
    if (::chdir(dir.c_str()) != 0) {
        ::close(cwd);
        return errnoError("chdir {}", dir);
    }
    struct Restore {
        int fd;
        ~Restore() {
            if (::fchdir(fd) != 0) {
            }
            ::close(fd);
        }
    } restore{cwd};
    archive* w = la().archive_write_disk_new();
    std::unique_ptr<archive, ArchiveWriteDel> wd(w);
    la().archive_write_disk_set_options(
        w, ARCHIVE_EXTRACT_PERM | ARCHIVE_EXTRACT_TIME | ARCHIVE_EXTRACT_SECURE_NODOTDOT |
               ARCHIVE_EXTRACT_SECURE_SYMLINKS | ARCHIVE_EXTRACT_SECURE_NOABSOLUTEPATHS);
    int64_t total = 0;
    archive_entry* e = nullptr;
    for (;;) {
        int r = la().archive_read_next_header(a.get(), &e);
        if (r == ARCHIVE_EOF) break;
        if (r < ARCHIVE_WARN)
            return makeError(EIO, "reading the archive: {}", la().archive_error_string(a.get()));
        std::string name = rebase(la().archive_entry_pathname(e), srcBase, dstBase);
        while (name.starts_with("./") && name.size() > 2) name.erase(0, 2);
        if (name == "./" || name == ".") name = ".";
        if (name != "." && unsafeName(name))
            return invalid("refusing to extract {}: path outside the destination", name);
        la().archive_entry_set_pathname(e, name.c_str());
        if (const char* hl = la().archive_entry_hardlink(e)) {
            std::string h = rebase(hl, srcBase, dstBase);
            while (h.starts_with("./") && h.size() > 2) h.erase(0, 2);
            if (unsafeName(h)) return invalid("refusing to link to {}", h);
            la().archive_entry_set_hardlink(e, h.c_str());
        }
        // docker's NoOverwriteDirNonDir.
        std::string plain = name;
        while (plain.size() > 1 && plain.back() == '/') plain.pop_back();
        struct stat st {};
        bool isDir = la().archive_entry_filetype(e) == AE_IFDIR;
        if (::lstat(plain.c_str(), &st) == 0) {
            if (S_ISDIR(st.st_mode) && !isDir)
                return invalid("cannot overwrite directory \"{}/{}\" with non-directory \"{}\"",
                               dir, plain, plain);
            if (!S_ISDIR(st.st_mode) && isDir)
                return invalid("cannot overwrite non-directory \"{}/{}\" with directory \"{}\"",
                               dir, plain, plain);
            if (isDir && plain == ".") continue;
        }
        if (la().archive_write_header(w, e) < ARCHIVE_WARN)
            return makeError(EIO, "extracting {}: {}", name, la().archive_error_string(w));
        const void* buf;
        size_t size;
        la_int64_t off;
        while ((r = la().archive_read_data_block(a.get(), &buf, &size, &off)) == ARCHIVE_OK) {
            if (la().archive_write_data_block(w, buf, size, off) < ARCHIVE_WARN)
                return makeError(EIO, "extracting {}: {}", name, la().archive_error_string(w));
            total += static_cast<int64_t>(size);
        }
        if (r < ARCHIVE_WARN)
            return makeError(EIO, "reading the archive: {}", la().archive_error_string(a.get()));
        if (la().archive_write_finish_entry(w) < ARCHIVE_WARN)
            return makeError(EIO, "extracting {}: {}", name, la().archive_error_string(w));
    }
    if (la().archive_write_close(w) != ARCHIVE_OK)
        return makeError(EIO, "extracting: {}", la().archive_error_string(w));
    return total;
}

}  // namespace berth::cli
