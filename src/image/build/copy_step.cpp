// COPY and ADD steps: the source (context, an earlier stage, or an image), the plan and its
// hash for the cache key, then the copy into a container root committed as a layer.
#include <fcntl.h>
#include <sys/file.h>

#include <charconv>
#include <functional>
#include <optional>

#include "common/scope_guard.h"
#include "common/sys.h"

#include "image/build/builder_impl.h"
#include "image/build/container_run.h"
#include "image/build/copy.h"
#include "image/build/history_text.h"
#include "image/build/users.h"

namespace berth::image::build {

namespace {

Result<std::optional<uint32_t>> parseChmod(const std::string& s) {
    if (s.empty()) return std::optional<uint32_t>();
    uint32_t v = 0;
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v, 8);
    if (ec != std::errc() || p != s.data() + s.size() || v > 07777) {
        return invalid("invalid chmod parameter: {} (an octal mode is expected)", s);
    }
    return std::optional<uint32_t>(v);
}

bool isUrl(const std::string& s) {
    return s.starts_with("http://") || s.starts_with("https://");
}

}  // namespace

// COPY --from: an earlier stage (by name or index) or an image; none for a stage that is an
// empty scratch image.
Result<std::optional<Digest>> Builder::copyFromImage(const StageState& st,
                                                     const std::string& from) {
    size_t idx = 0;
    auto [p, ec] = std::from_chars(from.data(), from.data() + from.size(), idx);
    bool numeric = ec == std::errc() && p == from.data() + from.size();
    std::string lowerFrom = from;
    for (auto& c : lowerFrom) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    for (size_t i = 0; i < results_.size(); i++) {
        if ((numeric && i == idx) || (!results_[i].name.empty() && results_[i].name == lowerFrom)) {
            return results_[i].imageId;
        }
    }
    bool laterStage = numeric;
    for (size_t i = st.index; i < df_.stages.size(); i++) {
        laterStage |= df_.stages[i].name == lowerFrom;
    }
    if (laterStage) {
        return invalid("invalid from flag value {}: refers to current or future build stage",
                       from);
    }
    return std::optional<Digest>(TRY(imageFor(from)).id);
}

Status Builder::stepCopy(StageState& st, const Instruction& in) {
    bool add = in.cmd == "add";
    const char* name = add ? "ADD" : "COPY";
    std::vector<std::string> words;
    for (const auto& a : in.args) words.push_back(TRY(expand(st, a)));
    CopyOptions co;
    co.dest = words.back();
    co.sources.assign(words.begin(), words.end() - 1);
    co.workdir = st.config.workingDir;
    co.add = add;
    std::vector<std::string> urls;
    for (auto it = co.sources.begin(); it != co.sources.end();) {
        if (!isUrl(*it)) {
            ++it;
            continue;
        }
        if (!add) return invalid("COPY: source can't be a URL: {}", *it);
        urls.push_back(*it);
        it = co.sources.erase(it);
    }
    std::string chown = TRY(expand(st, in.flagValue("chown")));
    auto chmod = TRY(parseChmod(in.flagValue("chmod")));

    // The source root: the context, or the root of an earlier stage or an image (read-only).
    CopySource src;
    std::optional<ContainerFs> fromFs;
    std::string from = in.flag("from") ? TRY(expand(st, in.flagValue("from"))) : "";
    if (in.flag("from")) {
        if (from.empty()) return invalid("{} --from requires a value", name);
        auto fromId = TRY(copyFromImage(st, from));
        std::vector<std::string> lowers;
        if (fromId) lowers = TRY(svc_.rootfsLayers(*fromId)).lowerDirs;
        fromFs.emplace(TRY(ContainerFs::create(workDir_ + "/" + randomId(), lowers, true)));
        src.rootFd = TRY(fromFs->rootFd());
    } else {
        src.rootFd = contextFd_.get();
        src.ignore = &ignore_;
    }

    std::vector<CopyPlan> plans;
    if (!co.sources.empty()) plans.push_back(TRY_CTX(planCopy(src, co), "{} failed", name));
    // URLs: downloaded (every build, as docker: the content is what the cache key hashes) into
    // a temp dir that is the source of its own plan; never extracted.
    std::optional<ScopeGuard<std::function<void()>>> dropDownloads;
    UniqueFd downloads, lock;
    if (!urls.empty()) {
        std::string dir = workDir_ + "/download-" + randomId();
        TRY_CTX(sys::mkdir(dir, 0700), "{}", name);
        dropDownloads.emplace([dir] { (void)sys::removeAll(dir); });
        downloads.reset(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
        if (!downloads) return errnoError("open {}", dir);
        // Held like a container dir's lock, so that a crash leaves it to cleanStale.
        lock.reset(::openat(downloads.get(), "lock", O_RDWR | O_CREAT | O_CLOEXEC, 0600));
        if (!lock || ::flock(lock.get(), LOCK_EX) < 0) return errnoError("lock {}", dir);
        for (const auto& u : urls) {
            std::string file = TRY(fetchUrl(u, dir));
            CopyOptions uo = co;
            uo.sources = {file};
            uo.add = false;
            plans.push_back(
                TRY_CTX(planCopy(CopySource{downloads.get(), nullptr}, uo), "{} failed", name));
        }
    }
    bool destIsDir = co.dest.ends_with('/') || co.dest == "." || co.dest.ends_with("/.");
    auto plan = TRY_CTX(mergePlans(std::move(plans), destIsDir, add), "{} failed", name);
    std::string text = name;
    if (!from.empty()) text += " --from=" + from;
    if (!chown.empty()) text += " --chown=" + chown;
    if (chmod) text += fmt::format(" --chmod={:o}", *chmod);
    // Docker records the normalised destination with the trailing slash as written.
    std::string dest = plan.items.empty() ? co.dest : plan.items[0].dest;
    if (!plan.items.empty() && plan.items[0].destIsDir && dest != "/") dest += "/";
    std::string createdBy =
        nopCommentString(shellOf(st), fmt::format("{} {} in {} ", text, plan.sourceHash, dest));
    return cachedStep(st, createdBy, plan.sourceHash, [&]() -> Result<Image> {
        auto fs = TRY(containerFs(st, randomId()));
        int rootFd = TRY(fs.rootFd());
        ApplyOptions ao;
        ao.chmod = chmod;
        if (!chown.empty()) std::tie(ao.uid, ao.gid) = TRY(resolveChown(rootFd, chown));
        TRY_CTX(applyCopy(plan, rootFd, ao), "{} failed", name);
        TRY(fs.unmount());
        bool empty = TRY(fs.upperEmpty());
        return commit(st, empty ? "" : fs.upperDir(), createdBy);
    });
}

}  // namespace berth::image::build
