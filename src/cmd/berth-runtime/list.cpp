#include <cstdio>

#include <nlohmann/json.hpp>

#include "commands.h"

namespace berth::cli {

void addList(CLI::App& app, Context& ctx) {
    struct Opts {
        std::string format = "table";
        bool quiet = false;
    };
    auto o = std::make_shared<Opts>();
    auto* cmd = app.add_subcommand("list", "list containers");
    cmd->add_option("-f,--format", o->format, "table or json")
        ->check(CLI::IsMember({"table", "json"}));
    cmd->add_flag("-q,--quiet", o->quiet, "ids only");
    cmd->callback([&ctx, o] {
        auto ids = state::listIds(ctx.g.root);
        if (!ids) return ctx.fail(ids.error());
        nlohmann::json arr = nlohmann::json::array();
        std::vector<std::array<std::string, 6>> rows;
        for (const auto& id : *ids) {
            auto st = state::load(ctx.g.root, id);
            if (!st) continue;  // deleted meanwhile
            auto status = state::status(ctx.g.root, *st);
            arr.push_back(nlohmann::json::parse(state::ociJson(*st, status, false)));
            rows.push_back({id, std::to_string(status == state::ContainerStatus::Stopped ? 0 : st->pid),
                            state::statusName(status), st->bundle, st->created, st->owner});
        }
        if (o->quiet) {
            for (const auto& r : rows) std::printf("%s\n", r[0].c_str());
        } else if (o->format == "json") {
            std::printf("%s\n", arr.dump().c_str());
        } else {
            std::array<std::string, 6> head = {"ID", "PID", "STATUS", "BUNDLE", "CREATED", "OWNER"};
            std::array<size_t, 6> w{};
            for (size_t i = 0; i < 6; i++) {
                w[i] = head[i].size();
                for (const auto& r : rows) w[i] = std::max(w[i], r[i].size());
            }
            auto print = [&](const std::array<std::string, 6>& r) {
                for (size_t i = 0; i < 6; i++) {
                    std::printf(i < 5 ? "%-*s   " : "%-*s\n", static_cast<int>(w[i]), r[i].c_str());
                }
            };
            print(head);
            for (const auto& r : rows) print(r);
        }
    });
}

}  // namespace berth::cli
