// RUN (a container through the runtime library, its upper dir committed as the new layer) and
// WORKDIR (the directory created in the image, a layer only when it did not exist).
#include <algorithm>

#include "image/build/builder_impl.h"
#include "image/build/container_run.h"
#include "image/build/copy.h"
#include "image/build/dockerignore.h"
#include "image/build/history_text.h"
#include "image/build/users.h"

namespace berth::image::build {

namespace {

bool hasKey(const std::vector<std::string>& env, std::string_view key) {
    return std::any_of(env.begin(), env.end(), [&](const std::string& e) {
        return std::string_view(e).substr(0, e.find('=')) == key;
    });
}

std::string join(const std::vector<std::string>& v) {
    std::string out;
    for (size_t i = 0; i < v.size(); i++) out += (i ? " " : "") + v[i];
    return out;
}

}  // namespace

Result<ContainerFs> Builder::containerFs(const StageState& st, const std::string& id) {
    std::vector<std::string> lowers;
    if (st.imageId) lowers = TRY(svc_.rootfsLayers(*st.imageId)).lowerDirs;
    return ContainerFs::create(workDir_ + "/" + id, lowers);
}

namespace {

// Build args in effect (declared, with a value, not overridden by ENV), "K=V" sorted. Proxy
// variables given with --build-arg count even undeclared, but only for the environment: as
// docker, undeclared ones stay out of the history (and so of the cache key).
std::vector<std::string> buildArgEnv(const StageState& st,
                                     const std::map<std::string, std::string>& given,
                                     bool withUndeclaredProxies) {
    std::map<std::string, std::string> vals;
    for (const auto& [k, v] : st.args) {
        if (v && !hasKey(st.config.env, k)) {
            vals[k] = *v;
        } else if (!v) {
            vals.erase(k);
        }
    }
    if (withUndeclaredProxies) {
        for (const auto& [k, v] : given) {
            if (isProxyArg(k) && !hasKey(st.config.env, k) && !vals.count(k)) vals[k] = v;
        }
    }
    std::vector<std::string> out;
    for (const auto& [k, v] : vals) out.push_back(k + "=" + v);
    return out;
}

}  // namespace

std::vector<std::string> Builder::runEnv(const StageState& st) const {
    std::vector<std::string> env = st.config.env;
    for (auto& e : buildArgEnv(st, o_.buildArgs, true)) env.push_back(std::move(e));
    return env;
}

// The classic builder's "|N K=V ..." before a RUN's command in its history (and cache key).
std::string Builder::buildArgsPrefix(const StageState& st) const {
    auto args = buildArgEnv(st, o_.buildArgs, false);
    if (args.empty()) return "";
    return fmt::format("|{} {} ", args.size(), join(args));
}

Status Builder::stepRun(StageState& st, const Instruction& in) {
    std::vector<std::string> args = in.args;
    if (!in.json) {
        args = shellOf(st);
        args.push_back(in.args[0]);
    }
    std::string createdBy = buildArgsPrefix(st) + join(args);
    return cachedStep(st, createdBy, "", [&]() -> Result<Image> {
        std::string id = randomId();
        std::string shortId = id.substr(0, 12);
        auto fs = TRY(containerFs(st, id));
        int rootFd = TRY(fs.rootFd());
        auto user = TRY(processUser(rootFd, st.config.user));

        ContainerSpec cs;
        cs.id = id;
        cs.rootfs = fs.rootfs();
        cs.bundleDir = fs.dir();
        cs.hostname = shortId;
        cs.cgroupsPath = "/" + o_.cgroupParent + "/" + id;
        cs.hostNetwork = o_.network == "host";
        cs.args = args;
        cs.env = runEnv(st);
        if (!hasKey(cs.env, "HOSTNAME")) cs.env.insert(cs.env.begin(), "HOSTNAME=" + shortId);
        if (!hasKey(cs.env, "HOME")) cs.env.push_back("HOME=" + user.home);
        cs.cwd = st.config.workingDir.empty() ? "/" : st.config.workingDir;
        // As docker, a missing working directory is created (and so committed).
        if (cs.cwd != "/") TRY_CTX(mkdirAllIn(rootFd, cs.cwd, 0, 0), "working directory");
        cs.user = user;

        out(fmt::format(" ---> Running in {}\n", shortId));
        OutputFn fn = [this](std::string_view chunk) { out(chunk); };
        int code = TRY_CTX(runToCompletion(globals_, cs, &fn), "RUN");
        if (code != 0) {
            return invalid("The command '{}' returned a non-zero code: {}", join(args), code);
        }
        TRY(fs.unmount());
        bool empty = TRY(fs.upperEmpty());
        auto img = TRY(commit(st, empty ? "" : fs.upperDir(), createdBy));
        out(fmt::format("Removing intermediate container {}\n", shortId));
        return img;
    });
}

Status Builder::stepWorkdir(StageState& st, const Instruction& in) {
    std::string dir = TRY(expand(st, in.args[0]));
    if (dir.empty()) return invalid("WORKDIR requires exactly one argument");
    if (!dir.starts_with('/')) {
        dir = (st.config.workingDir.empty() ? std::string("/") : st.config.workingDir) + "/" + dir;
    }
    dir = cleanPath(dir);
    st.config.workingDir = dir;
    std::string createdBy = nopCommentString(shellOf(st), "WORKDIR " + dir);
    return cachedStep(st, createdBy, "", [&]() -> Result<Image> {
        auto fs = TRY(containerFs(st, randomId()));
        int rootFd = TRY(fs.rootFd());
        TRY(mkdirAllIn(rootFd, dir, 0, 0));
        TRY(fs.unmount());
        bool empty = TRY(fs.upperEmpty());
        return commit(st, empty ? "" : fs.upperDir(), createdBy);
    });
}

}  // namespace berth::image::build
