// Minimal leveled logger with runc's two formats, so tools that read runc's --log
// (podman, containerd) read ours:
//   text: time="2026-11-25T10:00:00Z" level=error msg="..."
//   json: {"level":"error","msg":"...","time":"2026-11-25T10:00:00Z"}
#pragma once

#include <string>
#include <string_view>

#include <fmt/core.h>

namespace berth::log {

enum class Level { Debug, Info, Warn, Error };
enum class Format { Text, Json };

struct Options {
    std::string path;  // empty: stderr
    Format format = Format::Text;
    Level level = Level::Warn;
    bool alsoStderr = false;  // errors go to stderr too when logging to a file
};

// Configure once at start; safe to call again (e.g. in a forked child).
void init(const Options& o);
void write(Level l, std::string_view msg);
bool enabled(Level l);

// JSON string escaping (used by the json format and by other small emitters).
std::string jsonEscape(std::string_view s);

template <typename... A>
void debug(fmt::format_string<A...> f, A&&... a) {
    if (enabled(Level::Debug)) write(Level::Debug, fmt::format(f, std::forward<A>(a)...));
}
template <typename... A>
void info(fmt::format_string<A...> f, A&&... a) {
    if (enabled(Level::Info)) write(Level::Info, fmt::format(f, std::forward<A>(a)...));
}
template <typename... A>
void warn(fmt::format_string<A...> f, A&&... a) {
    if (enabled(Level::Warn)) write(Level::Warn, fmt::format(f, std::forward<A>(a)...));
}
template <typename... A>
void error(fmt::format_string<A...> f, A&&... a) {
    write(Level::Error, fmt::format(f, std::forward<A>(a)...));
}

}  // namespace berth::log
