// `berth commit`: create a new image from a container's changes.
#include <algorithm>

#include <nlohmann/json.hpp>

#include "cli/client.h"
#include "cli/verbs/util.h"

namespace berth::cli {

using nlohmann::json;

namespace {

// The repository and tag of REPOSITORY[:TAG] (docker sends the familiar name).
Status splitReference(const std::string& ref, std::string& repo, std::string& tag) {
    repo = ref;
    tag.clear();
    if (auto at = ref.find('@'); at != std::string::npos) {
        std::string d = ref.substr(at + 1);
        bool ok = d.size() == 71 && d.starts_with("sha256:") &&
                  d.find_first_not_of("0123456789abcdef", 7) == std::string::npos;
        if (!ok) return invalid("invalid reference format");
        return invalid("refusing to create a tag with a digest reference");
    }
    auto slash = ref.rfind('/');
    auto colon = ref.rfind(':');
    if (colon != std::string::npos && (slash == std::string::npos || colon > slash)) {
        repo = ref.substr(0, colon);
        tag = ref.substr(colon + 1);
    }
    if (repo.empty()) return invalid("invalid reference format");
    if (std::any_of(repo.begin(), repo.end(), [](char c) { return c >= 'A' && c <= 'Z'; })) {
        // Only the path part must be lower case; a registry host may not.
        auto first = repo.find('/');
        std::string host = first == std::string::npos ? "" : repo.substr(0, first);
        // docker's splitDockerDomain: a first component with '.', ':' or upper case (or
        // "localhost") is a registry host.
        bool isHost =
            !host.empty() &&
            (host.find_first_of(".:") != std::string::npos || host == "localhost" ||
             std::any_of(host.begin(), host.end(), [](char c) { return c >= 'A' && c <= 'Z'; }));
        std::string p = isHost ? repo.substr(first + 1) : repo;
        if (std::any_of(p.begin(), p.end(), [](char c) { return c >= 'A' && c <= 'Z'; }))
            return invalid("invalid reference format: repository name ({}) must be lowercase",
                           p.find('/') == std::string::npos && !isHost ? "library/" + p : p);
    }
    for (std::string_view pre : {"docker.io/library/", "docker.io/"})
        if (repo.starts_with(pre)) {
            repo = repo.substr(pre.size());
            break;
        }
    return {};
}

Result<int> runCommit(Ctx& ctx, const Flags& f) {
    std::string repo, tag;
    if (f.args().size() > 1) TRY(splitReference(f.args()[1], repo, tag));
    std::string path = "/commit" + query({{"container", f.args()[0]},
                                          {"repo", repo},
                                          {"tag", tag},
                                          {"comment", f.s("message")},
                                          {"author", f.s("author")},
                                          {"pause", f.b("pause") ? "" : "0"}});
    for (auto& ch : f.l("change")) path += "&changes=" + urlEncode(ch);
    json res = TRY(apiPost(ctx, path, json::object()));
    ctx.out(res.value("Id", res.value("ID", "")) + "\n");
    return 0;
}

}  // namespace

Command cmdCommit() {
    Command c;
    c.name = "commit";
    c.use = "[OPTIONS] CONTAINER [REPOSITORY[:TAG]]";
    c.shortHelp = "Create a new image from a container's changes";
    c.minArgs = 1;
    c.maxArgs = 2;
    c.flags = [](Flags& f) {
        f.string("author", 'a', "", "Author (e.g., \"John Hannibal Smith <hannibal@a-team.com>\")");
        f.list("change", 'c', "Apply Dockerfile instruction to the created image");
        f.string("message", 'm', "", "Commit message");
        f.boolean("pause", 'p', "Pause container during commit", true);
    };
    c.run = runCommit;
    return c;
}

}  // namespace berth::cli
