// docker exec: a process in a running container, run by a monitor of its own so that its
// stdio and exit status do not depend on berthd either.
#include <fcntl.h>

#include "common/scope_guard.h"
#include "common/sys.h"
#include "engine/internal.h"
#include "engine/security.h"
#include "engine/watcher.h"
#include "image/build/users.h"
#include "monitor/monitor.h"

namespace berth::engine {

namespace {

std::string joinCmd(const std::vector<std::string>& v) {
    std::string s;
    for (const auto& a : v) s += (s.empty() ? "" : " ") + a;
    return s;
}

}  // namespace

Result<std::string> Engine::execCreate(const std::string& idOrName, const nlohmann::json& body) {
    auto e = TRY(impl_->find(idOrName));
    std::lock_guard lk(e->mu);
    if (!body.is_object()) return invalid("invalid JSON body");
    impl_->primer->prime();  // the start follows at once (primer.h)
    if (e->c.state.status == "paused")
        return makeError(EBUSY, "Container {} is paused, unpause the container before exec",
                         e->c.id);
    if (!e->c.running()) return makeError(EBUSY, "Container {} is not running", e->c.id);
    auto cmd = stringList(body.value("Cmd", Json()));
    if (cmd.empty()) return invalid("No exec command specified");
    auto x = std::make_shared<ExecRecord>();
    x->id = randomHexId();
    x->containerId = e->c.id;
    x->config = body;
    x->tty = body.value("Tty", false);
    x->openStdin = body.value("AttachStdin", false);
    x->stateDir = impl_->monitorDir(e->c.id) + "/exec/" + x->id;
    {
        std::lock_guard g(impl_->mu);
        impl_->execs[x->id] = x;
    }
    impl_->publish(e->c, "exec_create: " + joinCmd(cmd), {{"execID", x->id}});
    return x->id;
}

Result<AttachStream> Engine::execStart(const std::string& execId, const nlohmann::json& body) {
    std::shared_ptr<ExecRecord> x;
    {
        std::lock_guard g(impl_->mu);
        auto it = impl_->execs.find(execId);
        if (it == impl_->execs.end()) return makeError(ENOENT, "No such exec instance: {}", execId);
        x = it->second;
    }
    auto e = TRY(impl_->find(x->containerId));
    std::unique_lock lk(e->mu);
    if (x->running || x->exited)
        return makeError(EBUSY, "Exec command {} is already running", execId);
    impl_->primer->prime();
    if (!e->c.running()) return makeError(EBUSY, "Container {} is not running", e->c.id);
    bool detach = body.is_object() && body.value("Detach", false);
    if (body.is_object() && body.contains("Tty")) x->tty = body.value("Tty", x->tty);
    const Json& cfg = x->config;
    const Container& c = e->c;
    // A process that cannot be started (no such user, no such binary) has run and failed, as
    // for docker: exit code 126 (127 for a missing binary, set below).
    ScopeGuard failed([&] {
        x->exited = true;
        if (x->exitCode <= 0) x->exitCode = 126;
    });

    auto rootFd =
        TRY(sys::open(impl_->containerDir(c.id) + "/rootfs", O_PATH | O_DIRECTORY | O_CLOEXEC));
    std::string userSpec = cfg.value("User", "");
    if (userSpec.empty()) userSpec = c.config.value("User", "");
    // As the container's own process: /etc/group memberships and --group-add included.
    auto user = TRY(image::build::processUser(rootFd.get(), userSpec.empty() ? "0" : userSpec,
                                              stringList(c.hostConfig.value("GroupAdd", Json()))));
    bool privileged = cfg.value("Privileged", false) || c.hostConfig.value("Privileged", false);
    auto caps = TRY(capabilities(stringList(c.hostConfig.value("CapAdd", Json())),
                                 stringList(c.hostConfig.value("CapDrop", Json())), privileged));
    std::vector<std::string> env = stringList(c.config.value("Env", Json()));
    bool hasPath = false;
    for (const auto& v : env) hasPath |= v.rfind("PATH=", 0) == 0;
    if (!hasPath)
        env.insert(env.begin(),
                   "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
    for (const auto& v : stringList(cfg.value("Env", Json()))) {
        std::string k = v.substr(0, v.find('='));
        std::erase_if(env, [&](const std::string& o) { return o.substr(0, o.find('=')) == k; });
        env.push_back(v);
    }
    if (x->tty) env.push_back("TERM=xterm");
    std::string cwd = cfg.value("WorkingDir", "");
    if (cwd.empty()) cwd = c.config.value("WorkingDir", "");
    std::vector<std::string> none;
    bool root = user.uid == 0;
    Json u = {{"uid", user.uid}, {"gid", user.gid}};
    if (!user.additionalGids.empty()) u["additionalGids"] = user.additionalGids;
    Json p = {{"terminal", x->tty},
              {"user", u},
              {"args", stringList(cfg.value("Cmd", Json()))},
              {"env", env},
              {"cwd", cwd.empty() ? "/" : cwd},
              {"rlimits", ociRlimits(c.hostConfig)},
              {"capabilities",
               {{"bounding", caps},
                {"effective", root ? caps : none},
                {"permitted", root ? caps : none}}},
              {"noNewPrivileges", false}};
    unsigned h = 0, w = 0;
    Json cs = body.is_object() ? body.value("ConsoleSize", Json()) : Json();
    if (!cs.is_array()) cs = cfg.value("ConsoleSize", Json());
    if (cs.is_array() && cs.size() == 2 && cs[0].is_number() && cs[1].is_number()) {
        h = cs[0].get<unsigned>();
        w = cs[1].get<unsigned>();
        if (h && w) p["consoleSize"] = {{"height", h}, {"width", w}};
    }

    monitor::ExecSpec s;
    s.containerId = c.id;
    s.execId = x->id;
    s.stateDir = x->stateDir;
    s.runtimeRoot = impl_->runtimeRoot();
    s.processJson = p.dump();
    s.tty = x->tty;
    s.openStdin = x->openStdin && !detach;
    s.consoleHeight = h;
    s.consoleWidth = w;
    AttachStream out;
    out.tty = x->tty;
    std::optional<Result<UniqueFd>> attached;
    auto hook = [&](const std::string& dir) {
        if (detach) return;
        monitor::AttachRequest r;
        r.stdinStream = x->openStdin;
        r.stdoutStream = cfg.value("AttachStdout", true);
        r.stderrStream = cfg.value("AttachStderr", true);
        attached = monitor::attach(dir, r);
    };
    auto started = monitor::startExec(impl_->monitorPath(), s, hook);
    if (!started) {
        Error err = std::move(started).error();
        if (err.msg.find("not found") != std::string::npos) x->exitCode = 127;
        return err.wrap("OCI runtime exec failed");
    }
    failed.cancel();
    x->running = true;
    x->pid = started->pid;
    impl_->publish(c, "exec_start: " + joinCmd(stringList(cfg.value("Cmd", Json()))),
                   {{"execID", x->id}});
    auto fd = monitor::watchExit(x->stateDir);
    if (fd) {
        auto* I = impl_.get();
        impl_->watcher->add("exec:" + x->id, std::move(*fd), [I, x, c] {
            auto st = monitor::inspect(x->stateDir);
            x->running = false;
            x->exited = true;
            x->exitCode = st && st->exit ? st->exit->exitCode : 255;
            (void)monitor::cleanup(x->stateDir);
            I->publish(c, "exec_die",
                       {{"execID", x->id}, {"exitCode", std::to_string(x->exitCode)}});
        });
    }
    if (!detach) {
        if (!attached) return makeError(EIO, "exec {}: not attached", x->id);
        out.fd = TRY(std::move(*attached));
    }
    return out;
}

Status Engine::execResize(const std::string& execId, int height, int width) {
    std::shared_ptr<ExecRecord> x;
    {
        std::lock_guard g(impl_->mu);
        auto it = impl_->execs.find(execId);
        if (it == impl_->execs.end()) return makeError(ENOENT, "No such exec instance: {}", execId);
        x = it->second;
    }
    if (!x->running) return makeError(EBUSY, "exec {} is not running", execId);
    return monitor::resize(x->stateDir, static_cast<unsigned>(height),
                           static_cast<unsigned>(width));
}

Result<nlohmann::json> Engine::execInspect(const std::string& execId) const {
    std::shared_ptr<ExecRecord> x;
    {
        std::lock_guard g(impl_->mu);
        auto it = impl_->execs.find(execId);
        if (it == impl_->execs.end()) return makeError(ENOENT, "No such exec instance: {}", execId);
        x = it->second;
    }
    bool running = x->running;
    int code = x->exitCode;
    if (running) {
        // The stream's end can reach the client before our watcher has run: ask the monitor.
        auto st = monitor::inspect(x->stateDir);
        if (st && st->exit) {
            running = false;
            code = st->exit->exitCode;
        }
    }
    auto cmd = stringList(x->config.value("Cmd", Json()));
    return Json{
        {"ID", x->id},
        {"Running", running},
        {"ExitCode", running || (!x->exited && code < 0) ? Json() : Json(code)},
        {"ProcessConfig",
         {{"tty", x->tty},
          {"entrypoint", cmd.empty() ? "" : cmd[0]},
          {"arguments", cmd.size() > 1 ? std::vector<std::string>(cmd.begin() + 1, cmd.end())
                                       : std::vector<std::string>{}},
          {"privileged", x->config.value("Privileged", false)},
          {"user", x->config.value("User", "")}}},
        {"OpenStdin", x->openStdin},
        {"OpenStderr", x->config.value("AttachStderr", false)},
        {"OpenStdout", x->config.value("AttachStdout", false)},
        {"CanRemove", false},
        {"ContainerID", x->containerId},
        {"DetachKeys", x->config.contains("DetachKeys") && x->config["DetachKeys"].is_string()
                           ? x->config["DetachKeys"].get<std::string>()
                           : std::string()},
        {"Pid", x->pid.load()}};
}

}  // namespace berth::engine
