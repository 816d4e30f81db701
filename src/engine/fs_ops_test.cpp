#include "engine/fs_ops.h"

#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <fstream>

#include <nlohmann/json.hpp>

#include "common/sys.h"
#include "engine/fs_ops_internal.h"

namespace berth::engine {
namespace {

namespace fs = std::filesystem;
using Json = nlohmann::json;

void put(const fs::path& p, const std::string& text, mode_t mode = 0644) {
    fs::create_directories(p.parent_path());
    std::ofstream(p) << text;
    ::chmod(p.c_str(), mode);
}

std::string slurp(const fs::path& p) {
    std::ifstream in(p);
    return std::string(std::istreambuf_iterator<char>(in), {});
}

bool isRoot() {
    return geteuid() == 0;
}

// A container-like tree: root/ (the rootfs), vol/ and ro/ (volume sources).
struct Tree {
    fs::path dir, root, vol, ro;
    Tree() {
        static int n = 0;
        dir = fs::temp_directory_path() / fmt::format("berth-fsops-{}-{}", getpid(), n++);
        root = dir / "root";
        vol = dir / "vol";
        ro = dir / "rovol";
        put(root / "etc/passwd", "root:x:0:0::/root:/bin/sh\napp:x:1000:1001::/home/app:/bin/sh\n");
        put(root / "etc/group", "root:x:0:\napp:x:1001:\n");
        put(root / "etc/hostname", "x", 0640);
        put(root / "bin/sh", "#!", 04755);
        fs::create_directory_symlink("/etc", root / "link");
        fs::create_directory_symlink("etc", root / "rel");
        fs::create_symlink("/nonexistent/file", root / "dangling");
        fs::create_directory_symlink("../../../../etc", root / "escape");
        fs::create_symlink("loop2", root / "loop1");
        fs::create_symlink("loop1", root / "loop2");
        fs::create_directories(root / "data");
        ::chmod((root / "etc").c_str(), 0755);
        put(vol / "v.txt", "volume");
        put(ro / "r.txt", "readonly");
        struct timespec ts[2] = {{1577934245, 500000000}, {1577934245, 500000000}};
        ::utimensat(AT_FDCWD, (root / "etc/hostname").c_str(), ts, 0);
    }
    ~Tree() {
        std::error_code ec;
        fs::remove_all(dir, ec);
    }
    std::vector<MountMap> mounts() const {
        return {{"/data", vol.string(), false}, {"/ro", ro.string(), true}};
    }
};

// ---- path rules -----------------------------------------------------------------------------

TEST(FsOpsPaths, DockerPathRules) {
    using namespace fsops;
    EXPECT_EQ(absPath(""), "/");
    EXPECT_EQ(absPath("etc"), "/etc");
    EXPECT_EQ(absPath("etc/."), "/etc/.");
    EXPECT_EQ(absPath("."), "/.");
    EXPECT_EQ(absPath("a//b/"), "/a/b/");
    EXPECT_EQ(absPath("/a/../../b"), "/b");
    EXPECT_EQ(absPath("etc/./"), "/etc/./");
    EXPECT_EQ(splitPath("/etc/passwd"),
              std::make_pair(std::string("/etc/"), std::string("passwd")));
    EXPECT_EQ(splitPath("/etc/"), std::make_pair(std::string("/etc/"), std::string()));
    EXPECT_EQ(splitPath("/"), std::make_pair(std::string("/"), std::string()));
    EXPECT_EQ(baseName("/etc/"), "etc");
    EXPECT_EQ(baseName("/etc/."), ".");
    EXPECT_EQ(baseName("/"), "/");
    EXPECT_EQ(baseName("/a/b"), "b");
}

TEST(FsOpsPaths, ResolveInScope) {
    Tree t;
    auto root = sys::open(t.root.string(), O_PATH | O_DIRECTORY);
    ASSERT_TRUE(root);
    auto resolve = [&](const std::string& p) {
        auto r = fsops::resolveInScope(root->get(), p);
        return r ? *r : "error: " + r.error().str();
    };
    EXPECT_EQ(resolve("/link/passwd"), "/etc/passwd");
    EXPECT_EQ(resolve("/rel/passwd"), "/etc/passwd");
    EXPECT_EQ(resolve("/escape/passwd"), "/etc/passwd");  // ".." stops at the root
    EXPECT_EQ(resolve("/dangling"), "/nonexistent/file");
    EXPECT_EQ(resolve("/nope/x/../y"), "/nope/y");
    EXPECT_EQ(resolve("/"), "/");
    auto loop = fsops::resolveInScope(root->get(), "/loop1");
    ASSERT_FALSE(loop);
    EXPECT_EQ(loop.error().code, ELOOP);
}

// ---- stat -----------------------------------------------------------------------------------

Json stat(const Tree& t, const std::string& path, const std::vector<MountMap>& mounts = {}) {
    auto r = pathStat(t.root.string(), mounts, path);
    EXPECT_TRUE(r) << path << ": " << r.error().str();
    return r ? Json::parse(*r) : Json();
}

TEST(FsOps, StatLikeDocker) {
    Tree t;
    Json f = stat(t, "/etc/hostname");
    EXPECT_EQ(f, Json::parse(R"({"name":"hostname","size":1,"mode":416,
                                 "mtime":"2020-01-02T03:04:05.5Z","linkTarget":""})"));
    Json d = stat(t, "/etc/");
    EXPECT_EQ(d["name"], "etc");
    EXPECT_EQ(d["mode"], (1u << 31) | 0755);
    Json l = stat(t, "/link");
    EXPECT_EQ(l["mode"], (1u << 27) | 0777);
    EXPECT_EQ(l["linkTarget"], "/etc");
    EXPECT_EQ(stat(t, "/escape")["linkTarget"], "/etc");
    EXPECT_EQ(stat(t, "/dangling")["linkTarget"], "/nonexistent/file");
    EXPECT_EQ(stat(t, "/link/passwd")["name"], "passwd");
    EXPECT_EQ(stat(t, "/")["name"], "/");
    EXPECT_EQ(stat(t, "/etc/.")["name"], ".");
    Json suid = stat(t, "bin/sh");
    EXPECT_EQ(suid["mode"], (1u << 23) | 0755);

    put(t.root / "etc/bad\xff", "");
    EXPECT_EQ(stat(t, "/etc/bad\xff")["name"], "bad\xef\xbf\xbd");

    auto missing = pathStat(t.root.string(), {}, "/nope/x");
    ASSERT_FALSE(missing);
    EXPECT_EQ(missing.error().code, ENOENT);
    EXPECT_EQ(missing.error().msg, "Could not find the file /nope/x");
}

TEST(FsOps, StatSeesVolumesAndLeavesNoMount) {
    if (!isRoot()) GTEST_SKIP() << "binding volumes needs CAP_SYS_ADMIN";
    Tree t;
    fs::remove(t.root / "data");  // a mount point that does not exist yet is made
    Json v = stat(t, "/data/v.txt", t.mounts());
    EXPECT_EQ(v["size"], 6);
    EXPECT_EQ(stat(t, "/ro/r.txt", t.mounts())["name"], "r.txt");
    // The binds lived in the helper's namespace only.
    EXPECT_TRUE(fs::is_directory(t.root / "data"));
    EXPECT_FALSE(fs::exists(t.root / "data/v.txt"));
    EXPECT_FALSE(fs::exists(t.root / "ro/r.txt"));
}

// ---- get archive ----------------------------------------------------------------------------

struct TarEntry {
    std::string name, link, data;
    mode_t type;
};

std::vector<TarEntry> readTar(const std::string& tar) {
    std::vector<TarEntry> out;
    struct archive* a = archive_read_new();
    archive_read_support_format_tar(a);
    archive_read_support_format_empty(a);
    EXPECT_EQ(archive_read_open_memory(a, tar.data(), tar.size()), ARCHIVE_OK);
    struct archive_entry* e;
    while (archive_read_next_header(a, &e) == ARCHIVE_OK) {
        TarEntry t{archive_entry_pathname(e), "", "", archive_entry_filetype(e)};
        if (const char* s = archive_entry_symlink(e)) t.link = s;
        if (const char* h = archive_entry_hardlink(e)) t.link = h;
        char buf[4096];
        la_ssize_t n;
        while ((n = archive_read_data(a, buf, sizeof buf)) > 0) t.data.append(buf, n);
        out.push_back(t);
    }
    archive_read_free(a);
    return out;
}

std::vector<std::string> names(const std::vector<TarEntry>& es) {
    std::vector<std::string> out;
    for (const auto& e : es) out.push_back(e.name);
    return out;
}

std::vector<TarEntry> get(const Tree& t, const std::string& path,
                          const std::vector<MountMap>& mounts = {}) {
    std::string tar;
    auto st = getArchive(t.root.string(), mounts, path, [&](std::string_view d) -> Status {
        tar.append(d);
        return {};
    });
    EXPECT_TRUE(st) << path << ": " << st.error().str();
    return readTar(tar);
}

using Names = std::vector<std::string>;

TEST(FsOps, GetArchiveNamesLikeDocker) {
    Tree t;
    EXPECT_EQ(names(get(t, "/etc")), (Names{"etc/", "etc/group", "etc/hostname", "etc/passwd"}));
    EXPECT_EQ(names(get(t, "/etc/.")), (Names{"./", "./group", "./hostname", "./passwd"}));
    auto one = get(t, "/etc/hostname");
    ASSERT_EQ(one.size(), 1u);
    EXPECT_EQ(one[0].name, "hostname");
    EXPECT_EQ(one[0].data, "x");
    auto link = get(t, "/link");
    ASSERT_EQ(link.size(), 1u);
    EXPECT_EQ(link[0].type, static_cast<mode_t>(AE_IFLNK));
    EXPECT_EQ(link[0].link, "/etc");
    EXPECT_EQ(names(get(t, "/link/")),
              (Names{"link/", "link/group", "link/hostname", "link/passwd"}));
    EXPECT_EQ(names(get(t, "/rel/passwd")), Names{"passwd"});
    auto all = names(get(t, "/"));
    EXPECT_EQ(all.front(), "/");
    EXPECT_NE(std::find(all.begin(), all.end(), "/etc/passwd"), all.end());

    auto missing =
        getArchive(t.root.string(), {}, "/nope", [&](std::string_view) -> Status { return {}; });
    ASSERT_FALSE(missing);
    EXPECT_EQ(missing.error().code, ENOENT);
}

TEST(FsOps, GetArchiveThroughVolumes) {
    if (!isRoot()) GTEST_SKIP() << "binding volumes needs CAP_SYS_ADMIN";
    Tree t;
    auto v = get(t, "/data", t.mounts());
    EXPECT_EQ(names(v), (Names{"data/", "data/v.txt"}));
    EXPECT_EQ(v[1].data, "volume");
    auto all = names(get(t, "/", t.mounts()));
    EXPECT_NE(std::find(all.begin(), all.end(), "/ro/r.txt"), all.end());
}

TEST(FsOps, WriterErrorStopsTheArchive) {
    Tree t;
    auto st = getArchive(t.root.string(), {}, "/etc",
                         [](std::string_view) -> Status { return invalid("client gone"); });
    ASSERT_FALSE(st);
    EXPECT_NE(st.error().msg.find("client gone"), std::string::npos) << st.error().msg;
}

// ---- put archive ----------------------------------------------------------------------------

struct TarSpec {
    std::string name;
    mode_t type = AE_IFREG;
    std::string data, link;
    int uid = 0;
};

std::string makeTar(const std::vector<TarSpec>& specs, bool gzip = false) {
    std::string out;
    struct archive* a = archive_write_new();
    archive_write_set_format_pax_restricted(a);
    if (gzip) archive_write_add_filter_gzip(a);
    archive_write_open(
        a, &out, nullptr,
        [](struct archive*, void* ud, const void* buf, size_t n) -> la_ssize_t {
            static_cast<std::string*>(ud)->append(static_cast<const char*>(buf), n);
            return static_cast<la_ssize_t>(n);
        },
        nullptr);
    for (const auto& s : specs) {
        struct archive_entry* e = archive_entry_new();
        archive_entry_set_pathname(e, s.name.c_str());
        archive_entry_set_filetype(e, s.type);
        archive_entry_set_perm(e, s.type == AE_IFDIR ? 0755 : 0644);
        archive_entry_set_uid(e, s.uid);
        archive_entry_set_gid(e, s.uid);
        if (s.type == AE_IFLNK) archive_entry_set_symlink(e, s.link.c_str());
        if (!s.link.empty() && s.type == AE_IFREG) archive_entry_set_hardlink(e, s.link.c_str());
        archive_entry_set_size(e, static_cast<la_int64_t>(s.data.size()));
        archive_write_header(a, e);
        if (!s.data.empty()) archive_write_data(a, s.data.data(), s.data.size());
        archive_entry_free(e);
    }
    archive_write_close(a);
    archive_write_free(a);
    return out;
}

ReadFn readerOf(const std::string& data) {
    auto pos = std::make_shared<size_t>(0);
    return [&data, pos](void* buf, size_t n) -> Result<size_t> {
        size_t k = std::min(n, data.size() - *pos);
        std::memcpy(buf, data.data() + *pos, k);
        *pos += k;
        return k;
    };
}

Status putTar(const Tree& t, const std::string& path, const std::string& tar,
              const PutOptions& o = {}, const std::vector<MountMap>& mounts = {}) {
    return putArchive(t.root.string(), mounts, path, readerOf(tar), o);
}

TEST(FsOps, PutArchiveExtractsIntoTheDirectory) {
    Tree t;
    std::string tar = makeTar({{"./", AE_IFDIR},
                               {"new", AE_IFDIR},
                               {"new/a.txt", AE_IFREG, "hello", "", 123},
                               {"b.txt", AE_IFREG, "bee"},
                               {"c.txt", AE_IFREG, "", "b.txt"},
                               {"s", AE_IFLNK, "", "/etc/passwd"}});
    auto st = putTar(t, "/etc", tar);
    ASSERT_TRUE(st) << st.error().str();
    EXPECT_EQ(slurp(t.root / "etc/new/a.txt"), "hello");
    EXPECT_EQ(slurp(t.root / "etc/b.txt"), "bee");
    EXPECT_EQ(fs::hard_link_count(t.root / "etc/c.txt"), 2u);
    EXPECT_EQ(fs::read_symlink(t.root / "etc/s"), "/etc/passwd");
    struct stat sb;
    ASSERT_EQ(::stat((t.root / "etc").c_str(), &sb), 0);
    EXPECT_EQ(sb.st_mode & 07777, 0755u);  // "./" leaves the extraction dir as it was
    if (isRoot()) {
        ASSERT_EQ(::stat((t.root / "etc/new/a.txt").c_str(), &sb), 0);
        EXPECT_EQ(sb.st_uid, 123u);  // owners from the tar kept
    }
    // Into a symlink's target, and compressed.
    ASSERT_TRUE(putTar(t, "/link", makeTar({{"z.txt", AE_IFREG, "zed"}}, true)));
    EXPECT_EQ(slurp(t.root / "etc/z.txt"), "zed");
    // An empty body is an empty archive.
    EXPECT_TRUE(putTar(t, "/etc", ""));
}

TEST(FsOps, PutArchiveErrors) {
    Tree t;
    std::string tar = makeTar({{"x.txt", AE_IFREG, "x"}});
    auto missing = putTar(t, "/nope", tar);
    ASSERT_FALSE(missing);
    EXPECT_EQ(missing.error().code, ENOENT);
    EXPECT_EQ(missing.error().msg, "Could not find the file /nope");
    auto file = putTar(t, "/etc/hostname", tar);
    ASSERT_FALSE(file);
    EXPECT_EQ(file.error().code, EINVAL);
    EXPECT_EQ(file.error().msg, "extraction point is not a directory");
    PutOptions ro;
    ro.readOnlyRootfs = true;
    auto rofs = putTar(t, "/etc", tar, ro);
    ASSERT_FALSE(rofs);
    EXPECT_EQ(rofs.error().msg, "container rootfs is marked read-only");

    PutOptions keep;
    keep.noOverwriteDirNonDir = true;
    auto d2f = putTar(t, "/", makeTar({{"etc", AE_IFREG, "not a dir"}}), keep);
    ASSERT_FALSE(d2f);
    EXPECT_EQ(d2f.error().msg, "cannot overwrite directory \"/etc\" with non-directory \"/\"");
    auto f2d = putTar(t, "/etc", makeTar({{"hostname", AE_IFDIR}}), keep);
    ASSERT_FALSE(f2d);
    EXPECT_EQ(f2d.error().msg,
              "cannot overwrite non-directory \"/etc/hostname\" with directory \"/etc\"");
    EXPECT_TRUE(fs::is_directory(t.root / "etc"));
    // Without the option, tar semantics: the file replaces the directory.
    fs::create_directories(t.root / "etc/victim");
    ASSERT_TRUE(putTar(t, "/etc", makeTar({{"victim", AE_IFREG, "file"}})));
    EXPECT_EQ(slurp(t.root / "etc/victim"), "file");

    auto wh = putTar(t, "/etc", makeTar({{".wh.passwd", AE_IFREG}}));
    EXPECT_FALSE(wh);
    EXPECT_TRUE(fs::exists(t.root / "etc/passwd"));
}

TEST(FsOps, PutArchiveStaysInsideTheContainer) {
    Tree t;
    std::string marker = fmt::format("berth-fsops-escape-{}", getpid());
    // "..": refused. A symlink to "/" then a file through it: lands in the container's root.
    EXPECT_FALSE(putTar(t, "/etc", makeTar({{"../../../../tmp/" + marker, AE_IFREG, "x"}})));
    auto st = putTar(
        t, "/etc", makeTar({{"up", AE_IFLNK, "", "/"}, {"up/tmp/" + marker, AE_IFREG, "inside"}}));
    ASSERT_TRUE(st) << st.error().str();
    EXPECT_FALSE(fs::exists(fs::path("/tmp") / marker));
    EXPECT_EQ(slurp(t.root / "tmp" / marker), "inside");
    // A hardlink to a host file is looked up inside the root too.
    auto hl = putTar(t, "/etc", makeTar({{"shadow", AE_IFREG, "", "../../../../etc/shadow"}}));
    EXPECT_FALSE(hl);
}

TEST(FsOps, PutArchiveVolumesAndOwners) {
    if (!isRoot()) GTEST_SKIP() << "binding volumes and chown need root";
    Tree t;
    std::string tar = makeTar({{"in-volume.txt", AE_IFREG, "v", "", 55}});
    PutOptions ro;
    ro.readOnlyRootfs = true;
    ro.copyUidGid = true;
    ro.user = "app";
    auto st = putTar(t, "/data", tar, ro, t.mounts());
    ASSERT_TRUE(st) << st.error().str();
    EXPECT_EQ(slurp(t.vol / "in-volume.txt"), "v");
    struct stat sb;
    ASSERT_EQ(::stat((t.vol / "in-volume.txt").c_str(), &sb), 0);
    EXPECT_EQ(sb.st_uid, 1000u);
    EXPECT_EQ(sb.st_gid, 1001u);

    auto rovol = putTar(t, "/ro", tar, {}, t.mounts());
    ASSERT_FALSE(rovol);
    EXPECT_EQ(rovol.error().code, EROFS);
    EXPECT_EQ(rovol.error().msg, "mounted volume is marked read-only");
    // Through the parent: the read-only bind itself refuses the write.
    auto via = putTar(t, "/", makeTar({{"ro/sneaky.txt", AE_IFREG, "x"}}), {}, t.mounts());
    EXPECT_FALSE(via);
    EXPECT_FALSE(fs::exists(t.ro / "sneaky.txt"));
    EXPECT_FALSE(fs::exists(t.root / "data/in-volume.txt"));  // no bind left behind
}

// ---- diff and export ------------------------------------------------------------------------

TEST(FsOps, ChangesFromOverlayDirs) {
    if (!isRoot()) GTEST_SKIP() << "whiteouts are 0/0 character devices (mknod needs root)";
    Tree t;
    fs::path lower = t.dir / "lower", upper = t.dir / "upper";
    put(lower / "etc/a", "a");
    put(lower / "etc/b", "b");
    put(lower / "x", "x");
    put(upper / "etc/a", "changed");
    put(upper / "etc/new", "n");
    ASSERT_EQ(::mknod((upper / "x").c_str(), S_IFCHR | 0000, makedev(0, 0)), 0);
    auto r = changes(upper.string(), {lower.string()});
    ASSERT_TRUE(r) << r.error().str();
    EXPECT_EQ(Json::parse(*r), Json::parse(R"([{"Path":"/etc","Kind":0},
                                                {"Path":"/etc/a","Kind":0},
                                                {"Path":"/etc/new","Kind":1},
                                                {"Path":"/x","Kind":2}])"));
}

// An image layer and a writable layer as the runtime leaves it after a start: the sandbox
// files' empty bind targets in /etc (copied up with the image's mode and owner).
struct Layers {
    Tree t;
    fs::path lower = t.dir / "lower", upper = t.dir / "upper";
    Layers() {
        put(lower / "etc/passwd", "root:x:0:0::/root:/bin/sh\n");
        put(lower / "tmp/keep", "k");
        fs::create_directories(upper / "etc");
        for (const auto& d : {lower / "etc", upper / "etc"}) ::chmod(d.c_str(), 0755);
        for (const char* f : {"etc/hosts", "etc/hostname", "etc/resolv.conf"}) put(upper / f, "");
    }
    Json diff() const {
        auto r = changes(upper.string(), {lower.string()});
        if (!r) return r.error().str();
        return Json::parse(*r);
    }
};

TEST(FsOps, ChangesLeaveOutBerthdMountTargets) {
    Layers l;
    EXPECT_EQ(l.diff(), Json::array());
    put(l.upper / "tmp/new", "x");
    EXPECT_EQ(l.diff(), Json::parse(R"([{"Path":"/tmp","Kind":0},{"Path":"/tmp/new","Kind":1}])"));
}

TEST(FsOps, ChangesLeaveOutTargetsMadeForAScratchImage) {
    // No /etc, /proc, /sys nor /dev in the image: the runtime made them all.
    Layers l;
    fs::remove_all(l.lower / "etc");
    for (const char* d : {"proc", "sys", "dev"}) {
        fs::create_directories(l.upper / d);
        ::chmod((l.upper / d).c_str(), 0755);
    }
    EXPECT_EQ(l.diff(), Json::array());
    put(l.upper / "dev/own", "");  // not a target: shown, with its directory
    EXPECT_EQ(l.diff(), Json::parse(R"([{"Path":"/dev","Kind":1},{"Path":"/dev/own","Kind":1}])"));
}

TEST(FsOps, ChangesKeepRealChangesAtTargetPaths) {
    {
        Layers l;  // content written to the target itself (docker cp to a stopped container)
        put(l.upper / "etc/hosts", "127.0.0.1 x\n");
        EXPECT_EQ(l.diff(), Json::parse(R"([{"Path":"/etc","Kind":0},
                                            {"Path":"/etc/hosts","Kind":1}])"));
    }
    {
        Layers l;  // a new file beside the targets
        put(l.upper / "etc/motd", "");
        EXPECT_EQ(l.diff(), Json::parse(R"([{"Path":"/etc","Kind":0},
                                            {"Path":"/etc/motd","Kind":1}])"));
    }
    {
        Layers l;  // the directory's own mode changed
        ::chmod((l.upper / "etc").c_str(), 0700);
        EXPECT_EQ(l.diff(), Json::parse(R"([{"Path":"/etc","Kind":0}])"));
    }
    {
        Layers l;  // a placeholder name that is a directory is not the runtime's
        fs::remove(l.upper / "etc/hostname");
        fs::create_directories(l.upper / "etc/hostname");
        EXPECT_EQ(l.diff(), Json::parse(R"([{"Path":"/etc","Kind":0},
                                            {"Path":"/etc/hostname","Kind":1}])"));
    }
    {
        Layers l;  // something in /proc of the writable layer
        put(l.upper / "proc/x", "");
        ::chmod((l.upper / "proc").c_str(), 0755);
        EXPECT_EQ(l.diff(), Json::parse(R"([{"Path":"/proc","Kind":1},
                                            {"Path":"/proc/x","Kind":1}])"));
    }
}

TEST(FsOps, ChangesKeepDeletionsNextToTargets) {
    if (!isRoot()) GTEST_SKIP() << "whiteouts are 0/0 character devices (mknod needs root)";
    Layers l;
    ASSERT_EQ(::mknod((l.upper / "etc/passwd").c_str(), S_IFCHR | 0000, makedev(0, 0)), 0);
    EXPECT_EQ(l.diff(), Json::parse(R"([{"Path":"/etc","Kind":0},
                                        {"Path":"/etc/passwd","Kind":2}])"));
}

mode_t modeOf(const fs::path& p) {
    struct stat st {};
    ::lstat(p.c_str(), &st);
    return st.st_mode;
}

TEST(FsOps, InitLayerHoldsTheTargetsWithTheImagesDirectories) {
    Tree t;
    fs::path image = t.dir / "image", top = t.dir / "top";
    put(image / "etc/passwd", "p");
    fs::create_directories(image / "proc");
    ::chmod((image / "proc").c_str(), 0555);
    ::chmod((image / "etc").c_str(), 0750);
    struct timespec ts[2] = {{1577934245, 0}, {1577934245, 0}};
    ::utimensat(AT_FDCWD, (image / "etc").c_str(), ts, 0);
    fs::create_directories(top);  // an upper image layer without /etc: looked through

    auto r = prepareInitLayer(t.dir.string(), {top.string(), image.string()});
    ASSERT_TRUE(r) << r.error().str();
    fs::path init = *r;
    EXPECT_EQ(init, t.dir / "init");
    EXPECT_EQ(modeOf(init / "etc"), S_IFDIR | 0750);
    struct stat st {};
    ASSERT_EQ(::stat((init / "etc").c_str(), &st), 0);
    EXPECT_EQ(st.st_mtim.tv_sec, 1577934245);
    for (const char* f : {"etc/hosts", "etc/hostname", "etc/resolv.conf"}) {
        EXPECT_EQ(modeOf(init / f), S_IFREG | 0644) << f;
        EXPECT_EQ(fs::file_size(init / f), 0u) << f;
    }
    EXPECT_EQ(modeOf(init / "proc"), S_IFDIR | 0555);
    for (const char* d : {"dev", "dev/pts", "dev/shm", "sys"})
        EXPECT_EQ(modeOf(init / d), S_IFDIR | 0755) << d;
    EXPECT_FALSE(fs::exists(init / "etc/passwd"));  // only the targets
    EXPECT_FALSE(fs::exists(t.dir / "init.tmp"));

    // Made once: a later start finds it as it is.
    put(init / "etc/hosts", "kept");
    auto again = prepareInitLayer(t.dir.string(), {image.string()});
    ASSERT_TRUE(again) << again.error().str();
    EXPECT_EQ(slurp(init / "etc/hosts"), "kept");
}

TEST(FsOps, InitLayerLeavesOutTargetsUnderANonDirectory) {
    Tree t;
    fs::path image = t.dir / "image";
    put(image / "real-etc/passwd", "p");
    fs::create_directory_symlink("real-etc", image / "etc");
    put(t.dir / "init.tmp/stale", "");  // a start killed half-way
    auto r = prepareInitLayer(t.dir.string(), {image.string()});
    ASSERT_TRUE(r) << r.error().str();
    fs::path init = *r;
    EXPECT_FALSE(fs::exists(init / "etc"));  // the image's /etc symlink stays visible
    EXPECT_FALSE(fs::exists(init / "stale"));
    EXPECT_EQ(modeOf(init / "proc"), S_IFDIR | 0755);
    EXPECT_EQ(modeOf(init / "dev/pts"), S_IFDIR | 0755);
}

TEST(FsOps, InitLayerHasDockerenvAndMtab) {
    Tree t;
    fs::path image = t.dir / "image";
    put(image / "etc/passwd", "p");
    auto r = prepareInitLayer(t.dir.string(), {image.string()});
    ASSERT_TRUE(r) << r.error().str();
    fs::path init = *r;
    EXPECT_EQ(modeOf(init / ".dockerenv"), S_IFREG | 0755);
    EXPECT_EQ(fs::file_size(init / ".dockerenv"), 0u);
    ASSERT_EQ(modeOf(init / "etc/mtab") & S_IFMT, S_IFLNK);
    EXPECT_EQ(fs::read_symlink(init / "etc/mtab"), "/proc/mounts");
}

TEST(FsOps, InitLayerKeepsTheImagesMtabAndDockerenv) {
    Tree t;
    fs::path image = t.dir / "image", top = t.dir / "top";
    fs::create_directories(image / "etc");
    fs::create_symlink("../proc/self/mounts", image / "etc/mtab");
    put(top / ".dockerenv", "mine");  // in an upper image layer
    auto r = prepareInitLayer(t.dir.string(), {top.string(), image.string()});
    ASSERT_TRUE(r) << r.error().str();
    fs::path init = *r;
    EXPECT_FALSE(fs::exists(fs::symlink_status(init / "etc/mtab")));
    EXPECT_FALSE(fs::exists(fs::symlink_status(init / ".dockerenv")));
    EXPECT_TRUE(fs::exists(init / "etc/hosts"));

    // An image whose /etc is a symlink: no mtab (it would land outside), .dockerenv still.
    Tree u;
    fs::path img2 = u.dir / "image";
    put(img2 / "real-etc/passwd", "p");
    fs::create_directory_symlink("real-etc", img2 / "etc");
    auto r2 = prepareInitLayer(u.dir.string(), {img2.string()});
    ASSERT_TRUE(r2) << r2.error().str();
    EXPECT_FALSE(fs::exists(fs::symlink_status(fs::path(*r2) / "etc")));
    EXPECT_EQ(modeOf(fs::path(*r2) / ".dockerenv"), S_IFREG | 0755);
}

TEST(FsOps, InitLayerKeepsTargetsOutOfTheWritableLayer) {
    if (!isRoot()) GTEST_SKIP() << "mounting an overlay needs root";
    Tree t;
    fs::path image = t.dir / "image", upper = t.dir / "upper", work = t.dir / "work",
             merged = t.dir / "merged";
    put(image / "etc/passwd", "p");
    put(image / "tmp/keep", "k");
    for (const auto& d : {upper, work, merged}) fs::create_directories(d);
    auto init = prepareInitLayer(t.dir.string(), {image.string()});
    ASSERT_TRUE(init) << init.error().str();
    std::string opts = fmt::format("lowerdir={}:{},upperdir={},workdir={}", *init, image.string(),
                                   upper.string(), work.string());
    if (::mount("overlay", merged.c_str(), "overlay", 0, opts.c_str()) != 0)
        GTEST_SKIP() << "no overlayfs here: " << std::strerror(errno);
    // What the runtime does for a bind target: open it, creating it only when missing.
    for (const char* f : {"etc/hosts", "etc/hostname", "etc/resolv.conf"}) {
        UniqueFd fd(::open((merged / f).c_str(), O_RDONLY | O_CREAT | O_CLOEXEC, 0644));
        EXPECT_TRUE(fd) << f;
    }
    EXPECT_TRUE(fs::is_directory(merged / "proc"));
    EXPECT_EQ(slurp(merged / "etc/passwd"), "p");
    put(merged / "tmp/new", "x");
    ::umount2(merged.c_str(), MNT_DETACH);
    EXPECT_FALSE(fs::exists(upper / "etc"));
    auto r = changes(upper.string(), {image.string()});
    ASSERT_TRUE(r) << r.error().str();
    EXPECT_EQ(Json::parse(*r),
              Json::parse(R"([{"Path":"/tmp","Kind":0},{"Path":"/tmp/new","Kind":1}])"));
}

TEST(FsOps, LayerSizeCountsFilesOnce) {
    Tree t;
    fs::path d = t.dir / "layer";
    put(d / "a", std::string(1000, 'a'));
    put(d / "sub/b", std::string(24, 'b'));
    put(d / "empty", "");
    fs::create_hard_link(d / "a", d / "sub/a-link");
    fs::create_symlink("0123456789", d / "sym");  // a symlink's size is its target's length
    fs::create_directories(d / "deep/er");
    EXPECT_EQ(layerSize(d.string()), 1000 + 24 + 10);
    EXPECT_EQ(layerSize((t.dir / "missing").string()), 0);
}

TEST(FsOps, ExportWholeRootfs) {
    Tree t;
    std::string tar;
    auto st = exportRootfs(t.root.string(), [&](std::string_view d) -> Status {
        tar.append(d);
        return {};
    });
    ASSERT_TRUE(st) << st.error().str();
    auto n = names(readTar(tar));
    for (const char* want : {"etc/", "etc/passwd", "bin/sh", "link", "data/"})
        EXPECT_NE(std::find(n.begin(), n.end(), want), n.end()) << want;
    for (const auto& name : n) EXPECT_FALSE(name.starts_with("./") || name.starts_with("/"));
}

TEST(FsOps, ExportSkipsMountsBelowTheRootfs) {
    if (!isRoot()) GTEST_SKIP() << "mounting needs root";
    Tree t;
    fs::create_directories(t.root / "proc");
    ASSERT_EQ(::mount("tmpfs", (t.root / "proc").c_str(), "tmpfs", 0, nullptr), 0);
    put(t.root / "proc/junk", "j");
    std::string tar;
    auto st = exportRootfs(t.root.string(), [&](std::string_view d) -> Status {
        tar.append(d);
        return {};
    });
    ::umount2((t.root / "proc").c_str(), MNT_DETACH);
    ASSERT_TRUE(st) << st.error().str();
    auto n = names(readTar(tar));
    EXPECT_EQ(std::find(n.begin(), n.end(), "proc/junk"), n.end());
    EXPECT_NE(std::find(n.begin(), n.end(), "etc/passwd"), n.end());
}

}  // namespace
}  // namespace berth::engine
