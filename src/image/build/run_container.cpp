#include "image/build/run_container.h"

#include <cstdlib>

#include "common/sys.h"
#include "image/build/container_fs.h"
#include "image/build/container_run.h"
#include "image/build/copy.h"
#include "image/build/users.h"

namespace berth::image::build {

namespace {

void setEnv(std::vector<std::string>& env, const std::string& kv) {
    std::string key = kv.substr(0, kv.find('='));
    for (auto& e : env) {
        if (e.substr(0, e.find('=')) == key) {
            e = kv;
            return;
        }
    }
    env.push_back(kv);
}

bool hasKey(const std::vector<std::string>& env, std::string_view key) {
    for (const auto& e : env) {
        if (std::string_view(e).substr(0, e.find('=')) == key) return true;
    }
    return false;
}

}  // namespace

Result<int> runImage(Service& svc, const RunOptions& o, int* failCode) {
    if (failCode) *failCode = 125;
    Image img = TRY(svc.get(o.image));
    const ContainerConfig& c = img.config.config;
    std::vector<std::string> args;
    auto ep = o.entrypoint ? *o.entrypoint : c.entrypoint.value_or(std::vector<std::string>{});
    args = ep;
    // As docker: a new entrypoint drops the image's Cmd; given args replace it.
    if (!o.cmd.empty()) {
        args.insert(args.end(), o.cmd.begin(), o.cmd.end());
    } else if (!o.entrypoint && c.cmd) {
        args.insert(args.end(), c.cmd->begin(), c.cmd->end());
    }
    if (args.empty()) return invalid("no command specified");

    std::string id = o.id.empty() ? randomId() : o.id;
    std::string work = svc.options().root + "/image/buildcache/tmp";
    TRY_CTX(sys::mkdirAll(work, 0700), "container work dir");
    ContainerFs::cleanStale(work, svc.options().runtimeRoot);
    auto layers = TRY(svc.rootfsLayers(img.id));
    auto fs = TRY(ContainerFs::create(work + "/run-" + id, layers.lowerDirs));
    int rootFd = TRY(fs.rootFd());
    std::string userSpec = o.user.empty() ? c.user : o.user;
    auto user = TRY(processUser(rootFd, userSpec));

    ContainerSpec cs;
    cs.id = id;
    cs.rootfs = fs.rootfs();
    cs.bundleDir = fs.dir();
    cs.hostname = id.substr(0, 12);
    cs.cgroupsPath = "/" + o.cgroupParent + "/" + id;
    cs.hostNetwork = o.network == "host";
    cs.terminal = o.tty;
    cs.args = args;
    cs.env = c.env;
    if (!hasKey(cs.env, "PATH")) {
        cs.env.insert(cs.env.begin(),
                      "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
    }
    cs.env.insert(cs.env.begin(), "HOSTNAME=" + cs.hostname);
    for (const auto& e : o.env) {
        if (e.find('=') != std::string::npos) {
            setEnv(cs.env, e);
        } else if (const char* v = std::getenv(e.c_str())) {
            setEnv(cs.env, e + "=" + v);
        }
    }
    if (o.tty && !hasKey(cs.env, "TERM")) cs.env.push_back("TERM=xterm");
    if (!hasKey(cs.env, "HOME")) cs.env.push_back("HOME=" + user.home);
    cs.cwd = !o.workdir.empty() ? o.workdir : c.workingDir.empty() ? "/" : c.workingDir;
    cs.user = user;
    if (cs.cwd != "/") TRY_CTX(mkdirAllIn(rootFd, cs.cwd, 0, 0), "working directory");
    runtime::Globals g;
    g.root = svc.options().runtimeRoot;
    auto r = runToCompletion(g, cs, nullptr);
    if (!r && failCode) {
        int e = r.error().code;
        *failCode = e == ENOENT ? 127 : (e == EACCES || e == EPERM || e == ENOEXEC) ? 126 : 125;
    }
    return r;
}

}  // namespace berth::image::build
