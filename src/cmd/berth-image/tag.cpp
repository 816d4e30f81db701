// tag, rmi, prune, df.
#include <cstdio>

#include "commands.h"

namespace berth::imgcli {

void addTagRmi(CLI::App& app, Context& ctx) {
    auto* t = app.add_subcommand("tag", "Create a tag TARGET_IMAGE that refers to SOURCE_IMAGE");
    static std::string src, dst;
    t->add_option("SOURCE_IMAGE", src, "source")->required();
    t->add_option("TARGET_IMAGE", dst, "target")->required();
    t->callback([&ctx] { ctx.check(ctx.service().tag(src, dst)); });

    auto* r = app.add_subcommand("rmi", "Remove one or more images");
    static std::vector<std::string> names;
    static bool force = false, noPrune = false;
    r->add_option("IMAGE", names, "images")->required();
    r->add_flag("-f,--force", force, "Force removal of the image");
    r->add_flag("--no-prune", noPrune, "Do not delete untagged parents");
    r->callback([&ctx] {
        for (auto& n : names) {
            auto res = ctx.service().remove(n, force, noPrune);
            if (!res) {
                ctx.fail(res.error());
                continue;
            }
            for (auto& x : *res) {
                if (!x.untagged.empty()) printf("Untagged: %s\n", x.untagged.c_str());
                if (!x.deleted.empty()) printf("Deleted: %s\n", x.deleted.c_str());
            }
        }
    });

    auto* p = app.add_subcommand("prune", "Remove unused images");
    static bool all = false;
    p->add_flag("-a,--all", all, "Remove all unused images, not just dangling ones");
    p->add_flag("-f,--force", force, "Do not prompt for confirmation");
    p->callback([&ctx] {
        auto rep = ctx.service().prune(!all, {});
        if (!rep) return ctx.fail(rep.error());
        if (!rep->removed.empty()) printf("Deleted Images:\n");
        for (auto& x : rep->removed) {
            if (!x.untagged.empty()) printf("untagged: %s\n", x.untagged.c_str());
            if (!x.deleted.empty()) printf("deleted: %s\n", x.deleted.c_str());
        }
        printf("\nTotal reclaimed space: %lld B\n", static_cast<long long>(rep->spaceReclaimed));
    });

    auto* d = app.add_subcommand("df", "Show image disk usage");
    d->callback([&ctx] {
        auto du = ctx.service().diskUsage();
        if (!du) return ctx.fail(du.error());
        printf("%-12s %-8s %-14s %s\n", "TYPE", "TOTAL", "SIZE", "RECLAIMABLE");
        int64_t unique = 0;
        for (auto& e : du->images)
            if (e.image.repoTags.empty()) unique += e.uniqueSize;
        printf("%-12s %-8zu %-14lld %lld\n", "Images", du->images.size(),
               static_cast<long long>(du->layersSize), static_cast<long long>(unique));
    });
}

}  // namespace berth::imgcli
