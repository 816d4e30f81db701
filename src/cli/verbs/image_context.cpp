#include "cli/verbs/image_context.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <memory>
#include <random>
#include <regex>

#include "cli/libarchive.h"

namespace berth::cli {

std::string cleanPath(std::string_view p) {
    bool rooted = !p.empty() && p[0] == '/';
    std::vector<std::string> parts;
    size_t i = 0;
    while (i <= p.size()) {
        size_t j = p.find('/', i);
        if (j == std::string_view::npos) j = p.size();
        std::string seg(p.substr(i, j - i));
        if (seg.empty() || seg == ".") {
        } else if (seg == "..") {
            if (!parts.empty() && parts.back() != "..")
                parts.pop_back();
            else if (!rooted)
                parts.push_back(seg);
        } else {
            parts.push_back(seg);
        }
        i = j + 1;
    }
    std::string out = rooted ? "/" : "";
    for (size_t k = 0; k < parts.size(); ++k) out += (k ? "/" : "") + parts[k];
    if (out.empty()) return ".";
    return out;
}

namespace {

// patternmatcher's glob -> regular expression.
Result<std::string> globRegex(const std::string& pat) {
    std::string re = "^";
    for (size_t i = 0; i < pat.size(); ++i) {
        char c = pat[i];
        if (c == '*') {
            if (i + 1 < pat.size() && pat[i + 1] == '*') {
                ++i;
                if (i + 1 < pat.size() && pat[i + 1] == '/') ++i;
                if (i + 1 >= pat.size())
                    re += ".*";
                else
                    re += "(.*/)?";
            } else {
                re += "[^/]*";
            }
        } else if (c == '?') {
            re += "[^/]";
        } else if (c == '[') {
            size_t j = pat.find(']', i + 1);
            if (j == std::string::npos) return invalid("syntax error in pattern");
            std::string cls = pat.substr(i + 1, j - i - 1);
            if (!cls.empty() && cls[0] == '^') cls[0] = '^';
            re += "[" + cls + "]";
            i = j;
        } else if (c == '\\') {
            if (i + 1 >= pat.size()) return invalid("syntax error in pattern");
            ++i;
            re += std::string("\\") + pat[i];
        } else if (std::string_view(".+()|{}$^").find(c) != std::string_view::npos) {
            re += std::string("\\") + c;
        } else {
            re += c;
        }
    }
    return re + "$";
}

}  // namespace

Result<IgnoreMatcher> IgnoreMatcher::fromPatterns(const std::vector<std::string>& patterns) {
    IgnoreMatcher m;
    for (auto raw : patterns) {
        Pattern p;
        if (!raw.empty() && raw[0] == '!') {
            p.exclusion = true;
            raw.erase(0, 1);
        }
        if (raw.empty()) return invalid("illegal exclusion pattern: \"!\"");
        raw = cleanPath(raw);
        if (!raw.empty() && raw[0] == '/') raw = raw.size() == 1 ? "." : raw.substr(1);
        p.text = raw;
        p.regex = TRY(globRegex(raw));
        try {
            std::regex test(p.regex);
        } catch (const std::regex_error&) {
            return invalid("syntax error in pattern: {}", raw);
        }
        m.patterns_.push_back(std::move(p));
    }
    return m;
}

Result<IgnoreMatcher> IgnoreMatcher::parse(std::string_view text) {
    std::vector<std::string> pats;
    size_t i = 0;
    while (i < text.size()) {
        size_t j = text.find('\n', i);
        if (j == std::string_view::npos) j = text.size();
        std::string line(text.substr(i, j - i));
        i = j + 1;
        if (!line.empty() && line.back() == '\r') line.pop_back();
        if (!line.empty() && line[0] == '#') continue;
        auto b = line.find_first_not_of(" \t");
        if (b == std::string::npos) continue;
        auto e = line.find_last_not_of(" \t");
        line = line.substr(b, e - b + 1);
        pats.push_back(line);
    }
    return fromPatterns(pats);
}

bool IgnoreMatcher::matchOne(const Pattern& p, std::string_view path) const {
    return std::regex_match(path.begin(), path.end(), std::regex(p.regex));
}

bool IgnoreMatcher::excluded(std::string_view relPath) const {
    std::string file = cleanPath(relPath);
    std::vector<std::string> parents;
    for (size_t k = file.find('/'); k != std::string::npos; k = file.find('/', k + 1))
        parents.push_back(file.substr(0, k));
    bool matched = false;
    for (auto& p : patterns_) {
        if (p.exclusion && !matched) continue;
        bool m = matchOne(p, file);
        for (size_t k = 0; !m && k < parents.size(); ++k) m = matchOne(p, parents[k]);
        if (m) matched = !p.exclusion;
    }
    return matched;
}

bool looksLikeArchive(std::string_view d) {
    if (d.size() >= 262 && d.substr(257, 5) == "ustar") return true;
    if (d.size() >= 2 && static_cast<unsigned char>(d[0]) == 0x1f &&
        static_cast<unsigned char>(d[1]) == 0x8b)
        return true;
    if (d.size() >= 3 && d.substr(0, 3) == "BZh") return true;
    if (d.size() >= 6 && d.substr(0, 6) ==
                             "\xfd"
                             "7zXZ\x00")
        return true;
    if (d.size() >= 4 && d.substr(0, 4) == "\x28\xb5\x2f\xfd") return true;
    return false;
}

namespace {

struct ArchiveDel {
    void operator()(archive* a) const { la().archive_write_free(a); }
};
struct EntryDel {
    void operator()(archive_entry* e) const { la().archive_entry_free(e); }
};

class TarWriter {
  public:
    Status open() {
        TRY(libArchive());
        a_.reset(la().archive_write_new());
        if (!a_) return makeError(ENOMEM, "archive_write_new");
        la().archive_write_set_format_pax_restricted(a_.get());
        la().archive_write_set_bytes_per_block(a_.get(), 0);
        if (la().archive_write_open(a_.get(), this, nullptr, &TarWriter::write, nullptr) !=
            ARCHIVE_OK)
            return fail("open tar");
        return {};
    }
    // Entries are root's (a build context's files are, whoever owns them here) unless told.
    Status add(const std::string& name, const struct stat& st, std::string_view data,
               const std::string& linkTarget, int64_t uid = 0, int64_t gid = 0) {
        std::unique_ptr<archive_entry, EntryDel> e(la().archive_entry_new());
        la().archive_entry_copy_stat(e.get(), &st);
        la().archive_entry_set_pathname(e.get(), name.c_str());
        la().archive_entry_set_uid(e.get(), uid);
        la().archive_entry_set_gid(e.get(), gid);
        la().archive_entry_set_nlink(e.get(), 1);
        la().archive_entry_set_ino(e.get(), 0);
        la().archive_entry_set_dev(e.get(), 0);
        if (S_ISLNK(st.st_mode)) la().archive_entry_set_symlink(e.get(), linkTarget.c_str());
        if (!S_ISREG(st.st_mode))
            la().archive_entry_set_size(e.get(), 0);
        else
            la().archive_entry_set_size(e.get(), static_cast<la_int64_t>(data.size()));
        if (la().archive_write_header(a_.get(), e.get()) != ARCHIVE_OK) return fail("add " + name);
        if (S_ISREG(st.st_mode) && !data.empty() &&
            la().archive_write_data(a_.get(), data.data(), data.size()) < 0)
            return fail("write " + name);
        return {};
    }
    Result<std::string> finish() {
        if (la().archive_write_close(a_.get()) != ARCHIVE_OK) return fail("close tar");
        return std::move(out_);
    }

  private:
    static la_ssize_t write(archive*, void* self, const void* buf, size_t n) {
        static_cast<TarWriter*>(self)->out_.append(static_cast<const char*>(buf), n);
        return static_cast<la_ssize_t>(n);
    }
    Error fail(const std::string& what) {
        const char* m = la().archive_error_string(a_.get());
        return makeError(EIO, "{}: {}", what, m ? m : "libarchive error");
    }
    std::unique_ptr<archive, ArchiveDel> a_;
    std::string out_;
};

Result<std::string> readFile(const std::string& path) {
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return errnoError("open {}", path);
    std::string s;
    char buf[65536];
    for (;;) {
        ssize_t n = ::read(fd, buf, sizeof buf);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) {
            auto e = errnoError("read {}", path);
            ::close(fd);
            return e;
        }
        if (n == 0) break;
        s.append(buf, static_cast<size_t>(n));
    }
    ::close(fd);
    return s;
}

struct Walker {
    const std::string& root;
    const IgnoreMatcher& ign;
    bool hasExceptions;
    std::vector<std::string> always;  // never excluded
    TarWriter& tw;

    bool isAlways(const std::string& rel) const {
        return std::find(always.begin(), always.end(), rel) != always.end();
    }

    Status walk(const std::string& rel) {
        std::string dir = rel.empty() ? root : root + "/" + rel;
        DIR* d = ::opendir(dir.c_str());
        if (!d) return errnoError("open directory {}", dir);
        std::vector<std::string> names;
        while (auto* de = ::readdir(d)) {
            std::string n = de->d_name;
            if (n != "." && n != "..") names.push_back(n);
        }
        ::closedir(d);
        std::sort(names.begin(), names.end());
        for (auto& n : names) {
            std::string r = rel.empty() ? n : rel + "/" + n;
            std::string full = root + "/" + r;
            struct stat st {};
            if (::lstat(full.c_str(), &st) != 0) return errnoError("stat {}", full);
            bool skip = !isAlways(r) && ign.excluded(r);
            if (S_ISDIR(st.st_mode)) {
                if (skip && !hasExceptions) continue;
                if (!skip) TRY(tw.add(r + "/", st, {}, {}));
                TRY(walk(r));
                continue;
            }
            if (skip) continue;
            if (S_ISREG(st.st_mode)) {
                auto data = TRY_CTX(readFile(full), "error checking context");
                TRY(tw.add(r, st, data, {}));
            } else if (S_ISLNK(st.st_mode)) {
                char buf[4096];
                ssize_t l = ::readlink(full.c_str(), buf, sizeof buf);
                if (l < 0) return errnoError("readlink {}", full);
                TRY(tw.add(r, st, {}, std::string(buf, static_cast<size_t>(l))));
            }
            // Sockets, fifos and devices are not sent, as docker does not send them either.
        }
        return {};
    }
};

}  // namespace

Result<std::string> tarSingleFile(const std::string& name, std::string_view content, unsigned mode,
                                  int64_t uid, int64_t gid) {
    TarWriter tw;
    TRY(tw.open());
    struct stat st {};
    st.st_mode = S_IFREG | (mode & 07777);
    st.st_mtime = ::time(nullptr);
    TRY(tw.add(name, st, content, {}, uid, gid));
    return tw.finish();
}

Result<BuildContext> makeBuildContext(const std::string& dirIn, const std::string& dockerfile,
                                      const std::string* dockerfileContent) {
    std::string dir = dirIn;
    while (dir.size() > 1 && dir.back() == '/') dir.pop_back();
    struct stat st {};
    if (::stat(dir.c_str(), &st) != 0)
        return invalid("unable to prepare context: path \"{}\" not found", dirIn);
    if (!S_ISDIR(st.st_mode))
        return invalid("unable to prepare context: context must be a directory: {}", dirIn);
    char real[PATH_MAX];
    if (!::realpath(dir.c_str(), real)) return errnoError("resolve {}", dir);
    std::string root = real;

    BuildContext bc;
    std::string extraName, extraContent;
    if (dockerfileContent) {
        extraContent = *dockerfileContent;
    } else {
        std::string df = dockerfile.empty() ? root + "/Dockerfile" : dockerfile;
        if (!dockerfile.empty() && dockerfile[0] != '/') {
            // docker resolves -f against the working directory, then checks the context
            char cwd[PATH_MAX];
            if (::getcwd(cwd, sizeof cwd)) df = std::string(cwd) + "/" + dockerfile;
        }
        char dreal[PATH_MAX];
        if (!::realpath(df.c_str(), dreal)) {
            if (dockerfile.empty())
                return invalid(
                    "unable to prepare context: unable to evaluate symlinks in "
                    "Dockerfile path: lstat {}/Dockerfile: no such file or directory",
                    root);
            return invalid(
                "unable to prepare context: unable to evaluate symlinks in Dockerfile "
                "path: lstat {}: no such file or directory",
                df);
        }
        std::string dpath = dreal;
        if (dpath.rfind(root + "/", 0) == 0) {
            bc.dockerfile = dpath.substr(root.size() + 1);
        } else {
            extraContent = TRY(readFile(dpath));
        }
    }
    if (bc.dockerfile.empty()) {
        std::mt19937_64 rng{std::random_device{}()};
        extraName = fmt::format(".dockerfile.{:012x}", rng() & 0xffffffffffffULL);
        bc.dockerfile = extraName;
    }

    std::string ignoreText;
    if (auto t = readFile(root + "/.dockerignore"); t) ignoreText = *t;
    auto ign = TRY_CTX(IgnoreMatcher::parse(ignoreText), "error checking context");
    bool exceptions = ignoreText.find('!') != std::string::npos;

    TarWriter tw;
    TRY(tw.open());
    Walker w{root, ign, exceptions, {".dockerignore", bc.dockerfile}, tw};
    TRY(w.walk(""));
    if (!extraName.empty()) {
        struct stat fst {};
        fst.st_mode = S_IFREG | 0600;
        fst.st_mtime = ::time(nullptr);
        TRY(tw.add(extraName, fst, extraContent, {}));
    }
    bc.tar = TRY(tw.finish());
    return bc;
}

}  // namespace berth::cli
