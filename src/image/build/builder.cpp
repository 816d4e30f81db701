// The build driver: context and Dockerfile, stages up to the target, FROM, the step loop with
// docker's output, the cache, tags.
#include "image/build/builder.h"

#include <fcntl.h>

#include <algorithm>

#include "common/log.h"
#include "common/sys.h"
#include "image/build/builder_impl.h"
#include "image/build/history_text.h"
#include "image/reference.h"

namespace berth::image::build {

namespace {

std::string lower(std::string s) {
    for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return s;
}

// A value as a literal word for the shell lexer (the escape char quotes every special char).
std::string literalWord(const std::string& v, char esc) {
    std::string out;
    for (char c : v) {
        if (c == esc || c == '$' || c == '"' || c == '\'' || c == ' ' || c == '\t') out += esc;
        out += c;
    }
    return out;
}

}  // namespace

bool isProxyArg(const std::string& name) {
    static const std::set<std::string> names = {
        "HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy", "FTP_PROXY",
        "ftp_proxy",  "NO_PROXY",   "no_proxy",    "ALL_PROXY",   "all_proxy"};
    return names.count(name) > 0;
}

Builder::Builder(Service& svc, const BuildOptions& o, Progress& p)
    : svc_(svc), o_(o), p_(p), cache_(svc.options().root + "/image/buildcache") {
    workDir_ = svc.options().root + "/image/buildcache/tmp";
    globals_.root = svc.options().runtimeRoot;
}

void Builder::out(std::string_view s) {
    if (o_.quiet) return;
    ProgressEvent e;
    e.stream = std::string(s);
    p_.emit(e);
}

void Builder::stepDone(const StageState& st) {
    out(fmt::format(" ---> {}\n", st.imageId ? st.imageId->shortHex() : ""));
}

Status Builder::prepare() {
    UniqueFd ctx(::open(o_.contextDir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!ctx) return errnoError("unable to prepare context: path \"{}\" not found", o_.contextDir);
    contextFd_ = std::move(ctx);

    std::string path;
    if (o_.dockerfileText) {
        dockerfileName_ = "Dockerfile";
    } else if (o_.dockerfile.empty()) {
        dockerfileName_ = "Dockerfile";
        path = o_.contextDir + "/Dockerfile";
        if (!sys::exists(path) && sys::exists(o_.contextDir + "/Containerfile")) {
            dockerfileName_ = "Containerfile";
            path = o_.contextDir + "/Containerfile";
        }
    } else if (o_.dockerfile.starts_with('/')) {
        path = o_.dockerfile;
        dockerfileName_ = path.substr(path.find_last_of('/') + 1);
    } else {
        path = o_.contextDir + "/" + o_.dockerfile;
        dockerfileName_ = o_.dockerfile;
    }
    auto text = o_.dockerfileText ? Result<std::string>(*o_.dockerfileText) : sys::readFile(path);
    if (!text) {
        return std::move(text).error().wrap(
            fmt::format("Cannot locate specified Dockerfile: {}", dockerfileName_));
    }
    df_ = TRY(parseDockerfile(*text, dockerfileName_));
    lex_ = ShellLex(df_.escape);

    std::string ignorePath = o_.contextDir + "/.dockerignore";
    if (sys::exists(ignorePath)) {
        ignore_ =
            TRY(IgnoreMatcher::parse(TRY_CTX(sys::readFile(ignorePath), "read .dockerignore")));
    }
    for (const auto& t : o_.tags) {
        auto r = TRY_CTX(Reference::parse(t), "invalid tag {}", t);
        if (r.tag.empty() || !r.digest.empty())
            return invalid("invalid tag {}: a tag is needed", t);
    }

    targetStage_ = df_.stages.size() - 1;
    if (!o_.target.empty()) {
        bool found = false;
        for (size_t i = 0; i < df_.stages.size(); i++) {
            if (df_.stages[i].name == lower(o_.target)) {
                targetStage_ = i;
                found = true;
                break;
            }
        }
        if (!found) return invalid("failed to reach build target {} in Dockerfile", o_.target);
    }
    if (!o_.labels.empty()) {
        // As docker: --label becomes a LABEL step at the end of the built stage.
        Instruction in;
        in.cmd = "label";
        in.line = df_.stages[targetStage_].commands.empty()
                      ? df_.stages[targetStage_].from.line
                      : df_.stages[targetStage_].commands.back().line;
        in.original = "LABEL";
        for (const auto& [k, v] : o_.labels) {
            in.args.push_back(literalWord(k, df_.escape));
            in.args.push_back(literalWord(v, df_.escape));
            in.original += fmt::format(" \"{}\"=\"{}\"", k, v);
        }
        df_.stages[targetStage_].commands.push_back(std::move(in));
    }
    for (size_t i = 0; i <= targetStage_; i++) {
        totalSteps_ += 1 + static_cast<int>(df_.stages[i].commands.size());
    }

    // ARGs before the first FROM: usable in FROM lines (and redeclared inside stages).
    for (const auto& in : df_.metaArgs) {
        for (const auto& word : in.args) {
            auto eq = word.find('=');
            std::string name = word.substr(0, eq);
            std::optional<std::string> value;
            if (eq != std::string::npos) {
                Lookup lk = [this](std::string_view n) -> std::optional<std::string> {
                    std::optional<std::string> v;
                    for (const auto& [k, val] : metaArgs_) {
                        if (k == n) v = val;
                    }
                    return v;
                };
                auto r = lex_.processWord(word.substr(eq + 1), lk);
                if (!r)
                    return std::move(r).error().wrap(
                        fmt::format("{}:{}", dockerfileName_, in.line));
                value = *r;
            }
            if (auto b = o_.buildArgs.find(name); b != o_.buildArgs.end()) value = b->second;
            metaArgs_.emplace_back(name, value);
            usedArgs_.insert(name);
        }
    }
    TRY_CTX(sys::mkdirAll(workDir_, 0700), "build work dir");
    ContainerFs::cleanStale(workDir_, globals_.root);
    return {};
}

Result<Image> Builder::imageFor(const std::string& ref) {
    if (!o_.pull) {
        auto img = svc_.get(ref);
        if (img) return img;
    }
    return svc_.pull(ref, p_);
}

Status Builder::stepFrom(StageState& st, const Stage& s) {
    Lookup lk = [this](std::string_view n) -> std::optional<std::string> {
        std::optional<std::string> v;
        for (const auto& [k, val] : metaArgs_) {
            if (k == n) v = val;
        }
        return v;
    };
    std::string base = TRY(lex_.processWord(s.baseName, lk));
    if (base.empty()) return invalid("base name ({}) should not be blank", s.baseName);
    st.name = s.name;
    bool fromStage = false;
    for (const auto& r : results_) {
        if (!r.name.empty() && r.name == lower(base)) {
            st.imageId = r.imageId;
            st.config = r.config;
            fromStage = true;
        }
    }
    if (!fromStage && lower(base) != "scratch") {
        Image img = TRY(imageFor(base));
        st.imageId = img.id;
        st.config = img.config.config;
    }
    bool hasPath = std::any_of(st.config.env.begin(), st.config.env.end(),
                               [](const std::string& e) { return e.starts_with("PATH="); });
    if (!hasPath) st.config.env.push_back(std::string("PATH=") + kDefaultPath);
    if (!st.config.onBuild.empty()) {
        auto triggers = std::move(st.config.onBuild);
        st.config.onBuild.clear();
        out(fmt::format("# Executing {} build trigger{}\n", triggers.size(),
                        triggers.size() == 1 ? "" : "s"));
        for (const auto& t : triggers) {
            auto in = TRY_CTX(parseInstruction(t, df_.escape, s.from.line), "ONBUILD trigger");
            if (in.cmd == "onbuild" || in.cmd == "from" || in.cmd == "maintainer") {
                return invalid("{} isn't allowed as an ONBUILD trigger", in.cmd);
            }
            TRY(dispatch(st, in));
        }
    }
    return {};
}

Status Builder::dispatch(StageState& st, const Instruction& in) {
    const std::string& c = in.cmd;
    if (c == "run") return stepRun(st, in);
    if (c == "copy" || c == "add") return stepCopy(st, in);
    if (c == "workdir") return stepWorkdir(st, in);
    if (c == "env") return stepEnv(st, in);
    if (c == "label") return stepLabel(st, in);
    if (c == "arg") return stepArg(st, in);
    if (c == "cmd") return stepCmd(st, in);
    if (c == "entrypoint") return stepEntrypoint(st, in);
    if (c == "expose") return stepExpose(st, in);
    if (c == "volume") return stepVolume(st, in);
    if (c == "healthcheck") return stepHealthcheck(st, in);
    if (c == "from") return invalid("FROM inside a stage");
    return stepSimple(st, in);
}

Status Builder::buildStage(size_t index, StageState& st) {
    const Stage& s = df_.stages[index];
    st.index = index;
    auto where = [&](int line) { return fmt::format("{}:{}", dockerfileName_, line); };
    out(fmt::format("Step {}/{} : {}\n", ++step_, totalSteps_, s.from.original));
    if (auto r = stepFrom(st, s); !r) return std::move(r).error().wrap(where(s.from.line));
    stepDone(st);
    for (const auto& in : s.commands) {
        out(fmt::format("Step {}/{} : {}\n", ++step_, totalSteps_, in.original));
        if (auto r = dispatch(st, in); !r) return std::move(r).error().wrap(where(in.line));
        stepDone(st);
    }
    return {};
}

void Builder::adopt(StageState& st, const Image& img) {
    st.imageId = img.id;
    st.config = img.config.config;
}

Result<Image> Builder::commit(const StageState& st, const std::string& upperDir,
                              const std::string& createdBy) {
    Service::CommitOptions co;
    co.parent = st.imageId;
    co.config = st.config;
    co.author = st.author;
    co.createdBy = createdBy;
    co.emptyLayer = upperDir.empty();
    return TRY_CTX(svc_.commit(upperDir, co), "commit");
}

Status Builder::cachedStep(StageState& st, const std::string& createdBy, const std::string& inputs,
                           const std::function<Result<Image>()>& make) {
    CacheKeyInput k;
    k.parentId = st.imageId ? st.imageId->str() : "";
    k.createdBy = createdBy;
    k.config = st.config;
    k.author = st.author;
    k.inputs = inputs;
    std::string key = cacheKey(k);
    if (!o_.noCache) {
        if (auto id = cache_.lookup(key)) {
            if (auto img = svc_.get(*id)) {
                out(" ---> Using cache\n");
                adopt(st, *img);
                return {};
            }
        }
    }
    Image img = TRY(make());
    if (auto s = cache_.store(key, img.id.str()); !s) log::warn("{}", s.error().str());
    adopt(st, img);
    return {};
}

Status Builder::commitMeta(StageState& st, const std::string& comment) {
    std::string createdBy = nopComment(shellOf(st), comment);
    return cachedStep(st, createdBy, "", [&]() { return commit(st, "", createdBy); });
}

Result<Digest> Builder::run() {
    TRY(prepare());
    for (size_t i = 0; i <= targetStage_; i++) {
        StageState st;
        TRY(buildStage(i, st));
        results_.push_back({st.name, st.imageId, st.config});
    }
    const auto& final = results_[targetStage_];
    std::vector<std::string> unused;
    for (const auto& [k, v] : o_.buildArgs) {
        if (!usedArgs_.count(k) && !isProxyArg(k)) unused.push_back(k);
    }
    if (!unused.empty()) {
        std::string list;
        for (const auto& u : unused) list += (list.empty() ? "" : " ") + u;
        out(fmt::format("[Warning] One or more build-args [{}] were not consumed\n", list));
    }
    if (!final.imageId) return invalid("No image was generated. Is your Dockerfile empty?");
    Digest id = *final.imageId;
    ProgressEvent aux;
    aux.aux = fmt::format("{{\"ID\":\"{}\"}}", id.str());
    p_.emit(aux);
    out(fmt::format("Successfully built {}\n", id.shortHex()));
    for (const auto& t : o_.tags) {
        TRY_CTX(svc_.tag(id.str(), t), "tag {}", t);
        auto r = TRY(Reference::parse(t));
        out(fmt::format("Successfully tagged {}\n", r.familiar()));
    }
    return id;
}

Result<Digest> build(Service& svc, const BuildOptions& o, Progress& p) {
    Builder b(svc, o, p);
    return b.run();
}

}  // namespace berth::image::build
