#include "image/service.h"

#include <sys/mount.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include "common/sys.h"
#include "image/media.h"

using namespace berth;
using namespace berth::image;

namespace {

struct TempDir {
    std::string path;
    TempDir() {
        char t[] = "/tmp/berth-svc-XXXXXX";
        path = mkdtemp(t);
    }
    ~TempDir() { (void)sys::removeAll(path); }
};

// An image with one layer made by adopting a directory holding `file`.
Image makeImage(Service& s, const std::string& tmp, const std::string& file, const std::string& ref,
                const std::string& parent = "") {
    auto dir = tmp + "/src-" + file;
    EXPECT_TRUE(sys::mkdirAll(dir, 0755));
    EXPECT_TRUE(sys::writeFile(dir + "/" + file, file, O_WRONLY | O_CREAT | O_TRUNC, 0644));
    auto diffId = sha256Of("layer " + file);
    auto li = s.layers().adopt(dir, diffId);
    EXPECT_TRUE(li) << li.error().str();
    auto blob = s.content().put("blob " + file);
    ImageConfig cfg;
    cfg.created = nowRfc3339();
    cfg.diffIds = {diffId};
    cfg.config.cmd = std::vector<std::string>{"sh"};
    cfg.config.labels["file"] = file;
    auto img = s.createImage(cfg, {{std::string(media::kOciLayerGzip), *blob, 10}}, ref, parent);
    EXPECT_TRUE(img) << img.error().str();
    return *img;
}

}  // namespace

TEST(Service, CreateLookupTag) {
    TempDir t;
    auto s = std::move(Service::open({.root = t.path + "/root"}).value());
    auto a = makeImage(*s, t.path, "a", "busybox");
    EXPECT_EQ(a.repoTags, std::vector<std::string>{"busybox:latest"});
    EXPECT_EQ(a.size, 1);
    EXPECT_EQ(s->get("busybox")->id, a.id);
    EXPECT_EQ(s->get("docker.io/library/busybox:latest")->id, a.id);
    EXPECT_EQ(s->get(a.id.str())->id, a.id);
    EXPECT_EQ(s->get(a.id.shortHex())->id, a.id);
    auto miss = s->get("nosuch");
    ASSERT_FALSE(miss);
    EXPECT_EQ(miss.error().code, ENOENT);
    EXPECT_EQ(miss.error().msg, "No such image: nosuch");
    ASSERT_TRUE(s->tag("busybox", "localhost:5000/bb:1"));
    auto img = s->get("localhost:5000/bb:1");
    ASSERT_TRUE(img);
    EXPECT_EQ(img->repoTags.size(), 2u);
    EXPECT_FALSE(s->tag("busybox", "Bad:Name"));
    auto rl = s->rootfsLayers(a.id);
    ASSERT_TRUE(rl);
    ASSERT_EQ(rl->lowerDirs.size(), 1u);
    EXPECT_TRUE(sys::exists(rl->lowerDirs[0] + "/a"));
    // A digest reference resolves through the manifest digest.
    EXPECT_EQ(s->get("busybox@" + a.manifestDigest.str())->id, a.id);
}

TEST(Service, RemoveUntagsThenDeletesAndFrees) {
    TempDir t;
    auto s = std::move(Service::open({.root = t.path + "/root"}).value());
    auto a = makeImage(*s, t.path, "a", "x:1");
    ASSERT_TRUE(s->tag("x:1", "y:2"));
    // By ID with two repositories: needs force.
    auto conflict = s->remove(a.id.shortHex(), false);
    ASSERT_FALSE(conflict);
    EXPECT_EQ(conflict.error().code, EBUSY);
    EXPECT_NE(conflict.error().msg.find("must be forced"), std::string::npos);
    // By name: untag only.
    auto r = s->remove("x:1", false);
    ASSERT_TRUE(r) << r.error().str();
    ASSERT_EQ(r->size(), 1u);
    EXPECT_EQ((*r)[0].untagged, "x:1");
    EXPECT_TRUE(s->get("y:2"));
    EXPECT_TRUE(s->layers().has(a.config.diffIds[0]));
    // Last tag: the image, its blobs and its layer go.
    r = s->remove("y:2", false);
    ASSERT_TRUE(r);
    EXPECT_FALSE(s->get(a.id.str()));
    EXPECT_FALSE(s->layers().has(a.config.diffIds[0]));
    EXPECT_FALSE(s->content().has(a.id));
    EXPECT_FALSE(s->content().has(a.manifestDigest));
    EXPECT_TRUE(s->list().empty());
}

TEST(Service, SharedLayersSurviveAndChildrenProtectParents) {
    TempDir t;
    auto s = std::move(Service::open({.root = t.path + "/root"}).value());
    auto a = makeImage(*s, t.path, "a", "base");
    // A child sharing the base layer plus one of its own.
    ImageConfig cfg = a.config;
    auto dir = t.path + "/src-b";
    ASSERT_TRUE(sys::mkdirAll(dir, 0755));
    auto d2 = sha256Of("layer b");
    ASSERT_TRUE(s->layers().adopt(dir, d2));
    cfg.diffIds.push_back(d2);
    auto man = parseManifest(*s->content().readVerified(a.manifestDigest));
    auto layers = man->layers;
    layers.push_back({std::string(media::kOciLayerGzip), *s->content().put("blob b"), 6});
    auto child = s->createImage(cfg, layers, "child", a.id.str());
    ASSERT_TRUE(child) << child.error().str();
    EXPECT_EQ(child->parent, a.id.str());
    auto r = s->remove(a.id.str(), true);
    ASSERT_FALSE(r);
    EXPECT_NE(r.error().msg.find("dependent child images"), std::string::npos);
    ASSERT_TRUE(s->remove("base", false));  // untag is fine
    EXPECT_TRUE(s->get(a.id.str()));        // still there as the child's parent
    ASSERT_TRUE(s->remove("child", false));
    EXPECT_TRUE(s->layers().has(a.config.diffIds[0]));  // the parent keeps it
    auto du = s->diskUsage();
    ASSERT_TRUE(du);
    EXPECT_EQ(du->images.size(), 1u);
    auto rep = s->prune(true, {});
    ASSERT_TRUE(rep);
    EXPECT_TRUE(s->list().empty());
    EXPECT_FALSE(s->layers().has(a.config.diffIds[0]));
}

TEST(Service, MetadataSurvivesReopen) {
    TempDir t;
    Digest id;
    {
        auto s = std::move(Service::open({.root = t.path + "/root"}).value());
        id = makeImage(*s, t.path, "a", "keep:me").id;
    }
    auto s = std::move(Service::open({.root = t.path + "/root"}).value());
    auto img = s->get("keep:me");
    ASSERT_TRUE(img);
    EXPECT_EQ(img->id, id);
    EXPECT_EQ(img->config.config.labels["file"], "a");
}

TEST(Snapshot, OverlayOfLayersWithUpper) {
    if (geteuid() != 0) GTEST_SKIP() << "needs root for mounts";
    TempDir t;
    auto l1 = t.path + "/l1", l2 = t.path + "/l2", mnt = t.path + "/mnt";
    ASSERT_TRUE(sys::mkdirAll(l1, 0755));
    ASSERT_TRUE(sys::mkdirAll(l2, 0755));
    ASSERT_TRUE(sys::mkdirAll(mnt, 0755));
    ASSERT_TRUE(sys::writeFile(l1 + "/f", "low", O_WRONLY | O_CREAT, 0644));
    ASSERT_TRUE(sys::writeFile(l2 + "/f", "high", O_WRONLY | O_CREAT, 0644));
    ASSERT_TRUE(sys::writeFile(l1 + "/g", "g", O_WRONLY | O_CREAT, 0644));
    auto spec = prepareRw(t.path + "/snap", {l2, l1});
    ASSERT_TRUE(spec);
    auto st = mountOverlay(*spec, mnt);
    ASSERT_TRUE(st) << st.error().str();
    EXPECT_EQ(*sys::readFile(mnt + "/f"), "high");
    EXPECT_EQ(*sys::readFile(mnt + "/g"), "g");
    ASSERT_TRUE(sys::writeFile(mnt + "/new", "n", O_WRONLY | O_CREAT, 0644));
    ASSERT_TRUE(unmount(mnt));
    EXPECT_TRUE(sys::exists(spec->upperDir + "/new"));
    EXPECT_FALSE(sys::exists(l1 + "/new"));
    EXPECT_EQ(overlayOptions(*spec), "lowerdir=" + l2 + ":" + l1 + ",upperdir=" + spec->upperDir +
                                         ",workdir=" + spec->workDir);
    // Many layers: more than one page of options still mounts (new mount API).
    std::vector<std::string> many;
    for (int i = 0; i < 60; i++) {
        auto d = t.path + "/many/" + std::string(60, 'x') + std::to_string(i);
        ASSERT_TRUE(sys::mkdirAll(d, 0755));
        many.push_back(d);
    }
    OverlaySpec ro{many, "", ""};
    auto st2 = mountOverlay(ro, mnt);
    ASSERT_TRUE(st2) << st2.error().str();
    ASSERT_TRUE(unmount(mnt));
}

TEST(Service, RootfsLayersListARepeatedLayerOnce) {
    // Two build steps that made the same change give one layer listed twice; overlay refuses
    // a lower dir given twice (ELOOP), and the top copy shadows the lower one anyway.
    TempDir t;
    auto s = std::move(Service::open({.root = t.path + "/root"}).value());
    auto a = makeImage(*s, t.path, "a", "base");
    auto dir = t.path + "/src-b";
    ASSERT_TRUE(sys::mkdirAll(dir, 0755));
    ASSERT_TRUE(sys::writeFile(dir + "/b", "b", O_WRONLY | O_CREAT | O_TRUNC, 0644));
    auto bId = sha256Of("layer b");
    ASSERT_TRUE(s->layers().adopt(dir, bId));
    auto blob = *s->content().put("blob b");
    ImageConfig cfg = a.config;
    cfg.diffIds = {a.config.diffIds[0], bId, a.config.diffIds[0]};
    auto img =
        s->createImage(cfg,
                       {{std::string(media::kOciLayerGzip), *s->content().put("blob a"), 10},
                        {std::string(media::kOciLayerGzip), blob, 10},
                        {std::string(media::kOciLayerGzip), *s->content().put("blob a"), 10}},
                       "dup", "");
    ASSERT_TRUE(img) << img.error().str();
    auto rl = s->rootfsLayers(img->id);
    ASSERT_TRUE(rl) << rl.error().str();
    ASSERT_EQ(rl->lowerDirs.size(), 2u);
    EXPECT_TRUE(sys::exists(rl->lowerDirs[0] + "/a"));  // the top copy of "a" stays on top
    EXPECT_TRUE(sys::exists(rl->lowerDirs[1] + "/b"));
}
