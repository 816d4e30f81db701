// images, inspect, history.
#include <time.h>

#include <cstdio>
#include <nlohmann/json.hpp>

#include "commands.h"

namespace berth::imgcli {

namespace {

// Docker's units.HumanSize: decimal units, 3 significant digits ("4.26MB", "725kB").
std::string humanSize(int64_t n) {
    static const char* units[] = {"B", "kB", "MB", "GB", "TB", "PB"};
    double v = static_cast<double>(n);
    int u = 0;
    while (v >= 1000 && u < 5) {
        v /= 1000;
        u++;
    }
    return fmt::format("{:.3g}{}", v, units[u]);
}

std::string ago(const std::string& rfc3339) {
    tm t{};
    if (!strptime(rfc3339.c_str(), "%Y-%m-%dT%H:%M:%S", &t)) return "N/A";
    double s = difftime(time(nullptr), timegm(&t));
    auto plural = [](long v, const char* unit) {
        return fmt::format("{} {}{} ago", v, unit, v == 1 ? "" : "s");
    };
    if (s < 1) return "Less than a second ago";
    if (s < 60) return plural(static_cast<long>(s), "second");
    if (s < 3600) return s < 120 ? "About a minute ago" : plural(static_cast<long>(s / 60), "minute");
    if (s < 86400) return s < 7200 ? "About an hour ago" : plural(static_cast<long>(s / 3600), "hour");
    if (s < 86400 * 14) return plural(static_cast<long>(s / 86400), "day");
    if (s < 86400 * 60) return plural(static_cast<long>(s / 86400 / 7), "week");
    if (s < 86400 * 365 * 2) return plural(static_cast<long>(s / 86400 / 30), "month");
    return plural(static_cast<long>(s / 86400 / 365), "year");
}

nlohmann::json inspectJson(const image::Image& img) {
    using nlohmann::json;
    json layers = json::array();
    for (auto& d : img.config.diffIds) layers.push_back(d.str());
    return {{"Id", img.id.str()},
            {"RepoTags", img.repoTags},
            {"RepoDigests", img.repoDigests},
            {"Parent", img.parent},
            {"Comment", img.config.comment},
            {"Created", img.config.created},
            {"DockerVersion", img.config.dockerVersion},
            {"Author", img.config.author},
            {"Config", json::parse(image::containerConfigJson(img.config.config))},
            {"Architecture", img.config.architecture},
            {"Os", img.config.os},
            {"Size", img.size},
            {"RootFS", {{"Type", "layers"}, {"Layers", layers}}},
            {"Metadata", {{"LastTagTime", ""}}}};
}

}  // namespace

void addImages(CLI::App& app, Context& ctx) {
    auto* c = app.add_subcommand("images", "List images");
    static bool quiet = false, noTrunc = false, digests = false;
    c->add_flag("-q,--quiet", quiet, "Only show image IDs");
    c->add_flag("--no-trunc", noTrunc, "Don't truncate output");
    c->add_flag("--digests", digests, "Show digests");
    c->callback([&ctx] {
        auto imgs = ctx.service().list();
        if (quiet) {
            std::set<std::string> seen;
            for (auto& i : imgs)
                if (seen.insert(i.id.str()).second)
                    printf("%s\n", noTrunc ? i.id.str().c_str() : i.id.shortHex().c_str());
            return;
        }
        printf("%-30s %-10s %s%-12s   %-16s %s\n", "REPOSITORY", "TAG",
               digests ? fmt::format("{:<72} ", "DIGEST").c_str() : "", "IMAGE ID", "CREATED",
               "SIZE");
        for (auto& i : imgs) {
            std::vector<std::pair<std::string, std::string>> rows;
            for (auto& t : i.repoTags) {
                auto p = t.rfind(':');
                rows.emplace_back(t.substr(0, p), t.substr(p + 1));
            }
            if (rows.empty()) rows.emplace_back("<none>", "<none>");
            for (auto& [repo, tag] : rows) {
                std::string dg = "<none>";
                for (auto& rd : i.repoDigests)
                    if (rd.substr(0, rd.find('@')) == repo) dg = rd.substr(rd.find('@') + 1);
                auto id = noTrunc ? i.id.str() : i.id.shortHex();
                printf("%-30s %-10s %s%-12s   %-16s %s\n", repo.c_str(), tag.c_str(),
                       digests ? fmt::format("{:<72} ", dg).c_str() : "", id.c_str(),
                       ago(i.config.created).c_str(), humanSize(i.size).c_str());
            }
        }
    });

    auto* in = app.add_subcommand("inspect", "Display detailed information on images");
    static std::vector<std::string> names;
    in->add_option("IMAGE", names, "images")->required();
    in->callback([&ctx] {
        auto arr = nlohmann::json::array();
        for (auto& n : names) {
            auto img = ctx.service().get(n);
            if (!img) {
                ctx.fail(img.error());
                continue;
            }
            arr.push_back(inspectJson(*img));
        }
        printf("%s\n", arr.dump(4).c_str());
    });

    auto* h = app.add_subcommand("history", "Show the history of an image");
    static std::string hname;
    h->add_option("IMAGE", hname, "image")->required();
    h->callback([&ctx] {
        auto hist = ctx.service().history(hname);
        if (!hist) return ctx.fail(hist.error());
        printf("%-20s %-60s %s\n", "CREATED", "CREATED BY", "COMMENT");
        for (auto& e : *hist) {
            auto by = e.createdBy.size() > 60 ? e.createdBy.substr(0, 57) + "..." : e.createdBy;
            printf("%-20s %-60s %s\n", ago(e.created).c_str(), by.c_str(), e.comment.c_str());
        }
    });
}

}  // namespace berth::imgcli
