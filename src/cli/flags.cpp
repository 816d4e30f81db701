#include "cli/flags.h"

#include <cstdlib>
#include <cstring>

namespace berth::cli {

namespace {

std::string quoteFlag(const FlagDef& d) {
    if (d.shorthand) return fmt::format("-{}, --{}", d.shorthand, d.name);
    return "--" + d.name;
}

bool parseBool(std::string_view v, bool& out) {
    if (v == "1" || v == "t" || v == "T" || v == "true" || v == "TRUE" || v == "True") {
        out = true;
        return true;
    }
    if (v == "0" || v == "f" || v == "F" || v == "false" || v == "FALSE" || v == "False") {
        out = false;
        return true;
    }
    return false;
}

Status checkNumber(const FlagDef& d, std::string_view v) {
    std::string s(v);
    char* end = nullptr;
    errno = 0;
    std::string why;
    if (d.kind == FlagKind::Int) {
        (void)std::strtoll(s.c_str(), &end, 0);
        if (s.empty() || *end || errno)
            why = fmt::format("strconv.ParseInt: parsing \"{}\": {}", s,
                              errno == ERANGE ? "value out of range" : "invalid syntax");
    } else if (d.kind == FlagKind::Uint) {
        (void)std::strtoull(s.c_str(), &end, 0);
        if (s.empty() || *end || errno || s[0] == '-')
            why = fmt::format("strconv.ParseUint: parsing \"{}\": {}", s,
                              errno == ERANGE ? "value out of range" : "invalid syntax");
    } else if (d.kind == FlagKind::Float) {
        (void)std::strtod(s.c_str(), &end);
        if (s.empty() || *end || errno)
            why = fmt::format("strconv.ParseFloat: parsing \"{}\": invalid syntax", s);
    }
    if (why.empty()) return {};
    return invalid("invalid argument \"{}\" for \"{}\" flag: {}", s, quoteFlag(d), why);
}

}  // namespace

Flags& Flags::add(FlagDef d) {
    Value v;
    v.s = d.defValue;
    values_[d.name] = std::move(v);
    defs_.push_back(std::move(d));
    return *this;
}

Flags& Flags::boolean(std::string name, char shorthand, std::string usage, bool def) {
    return add(
        {std::move(name), shorthand, FlagKind::Bool, "", def ? "true" : "false", std::move(usage)});
}

Flags& Flags::string(std::string name, char shorthand, std::string def, std::string usage,
                     std::string typeName) {
    return add({std::move(name), shorthand, FlagKind::String, std::move(typeName), std::move(def),
                std::move(usage)});
}

Flags& Flags::list(std::string name, char shorthand, std::string usage, std::string typeName) {
    return add(
        {std::move(name), shorthand, FlagKind::List, std::move(typeName), "", std::move(usage)});
}

Flags& Flags::integer(std::string name, char shorthand, int64_t def, std::string usage,
                      std::string typeName) {
    return add({std::move(name), shorthand, FlagKind::Int, std::move(typeName), std::to_string(def),
                std::move(usage)});
}

Flags& Flags::uinteger(std::string name, char shorthand, uint64_t def, std::string usage,
                       std::string typeName) {
    return add({std::move(name), shorthand, FlagKind::Uint, std::move(typeName),
                std::to_string(def), std::move(usage)});
}

Flags& Flags::decimal(std::string name, char shorthand, std::string def, std::string usage,
                      std::string typeName) {
    return add({std::move(name), shorthand, FlagKind::Float, std::move(typeName), std::move(def),
                std::move(usage)});
}

Flags& Flags::hide() {
    if (!defs_.empty()) defs_.back().hidden = true;
    return *this;
}

Flags& Flags::noDefault() {
    if (!defs_.empty()) defs_.back().showDefault = false;
    return *this;
}

const FlagDef* Flags::findLong(std::string_view name) const {
    for (auto& d : defs_)
        if (d.name == name) return &d;
    return nullptr;
}

const FlagDef* Flags::findShort(char c) const {
    for (auto& d : defs_)
        if (d.shorthand == c) return &d;
    return nullptr;
}

Status Flags::set(const FlagDef& d, std::string_view value) {
    auto& v = values_[d.name];
    switch (d.kind) {
        case FlagKind::Bool: {
            bool b = false;
            if (!parseBool(value, b))
                return invalid(
                    "invalid argument \"{}\" for \"{}\" flag: strconv.ParseBool: "
                    "parsing \"{}\": invalid syntax",
                    value, quoteFlag(d), value);
            v.s = b ? "true" : "false";
            break;
        }
        case FlagKind::List:
            v.list.emplace_back(value);
            break;
        case FlagKind::Int:
        case FlagKind::Uint:
        case FlagKind::Float:
            TRY(checkNumber(d, value));
            v.s = std::string(value);
            break;
        case FlagKind::String:
            v.s = std::string(value);
            break;
    }
    v.changed = true;
    return {};
}

Status Flags::parse(const std::vector<std::string>& args, bool interspersed) {
    for (size_t i = 0; i < args.size(); i++) {
        const std::string& a = args[i];
        if (a == "--") {
            args_.insert(args_.end(), args.begin() + static_cast<long>(i) + 1, args.end());
            return {};
        }
        if (a.size() < 2 || a[0] != '-') {
            if (!interspersed) {
                args_.insert(args_.end(), args.begin() + static_cast<long>(i), args.end());
                return {};
            }
            args_.push_back(a);
            continue;
        }
        if (a[1] == '-') {
            std::string_view body = std::string_view(a).substr(2);
            auto eq = body.find('=');
            std::string_view name = body.substr(0, eq);
            if (name == "help") {
                help_ = true;
                continue;
            }
            const FlagDef* d = findLong(name);
            if (!d) return invalid("unknown flag: --{}", name);
            if (eq != std::string_view::npos) {
                TRY(set(*d, body.substr(eq + 1)));
            } else if (d->kind == FlagKind::Bool) {
                TRY(set(*d, "true"));
            } else if (i + 1 < args.size()) {
                TRY(set(*d, args[++i]));
            } else {
                return invalid("flag needs an argument: --{}", name);
            }
            continue;
        }
        // A shorthand cluster: -it, -p80, -p=80, -dp 80:80.
        std::string_view rest = std::string_view(a).substr(1);
        while (!rest.empty()) {
            char c = rest[0];
            rest.remove_prefix(1);
            if (c == 'h' && !findShort('h')) {
                help_ = true;
                continue;
            }
            const FlagDef* d = findShort(c);
            if (!d) return invalid("unknown shorthand flag: '{}' in -{}", c, a.substr(1));
            if (!rest.empty() && rest[0] == '=') {
                TRY(set(*d, rest.substr(1)));
                rest = {};
            } else if (d->kind == FlagKind::Bool) {
                TRY(set(*d, "true"));
            } else if (!rest.empty()) {
                TRY(set(*d, rest));
                rest = {};
            } else if (i + 1 < args.size()) {
                TRY(set(*d, args[++i]));
            } else {
                return invalid("flag needs an argument: '{}' in -{}", c, a.substr(1));
            }
        }
    }
    return {};
}

const Flags::Value& Flags::value(std::string_view name) const {
    auto it = values_.find(name);
    if (it == values_.end()) {
        fmt::print(stderr, "berth: internal error: flag --{} is not defined\n", name);
        std::abort();
    }
    return it->second;
}

bool Flags::b(std::string_view name) const {
    return value(name).s == "true";
}
const std::string& Flags::s(std::string_view name) const {
    return value(name).s;
}
const std::vector<std::string>& Flags::l(std::string_view name) const {
    return value(name).list;
}
int64_t Flags::i(std::string_view name) const {
    return std::strtoll(value(name).s.c_str(), nullptr, 0);
}
uint64_t Flags::u(std::string_view name) const {
    return std::strtoull(value(name).s.c_str(), nullptr, 0);
}
double Flags::f(std::string_view name) const {
    return std::strtod(value(name).s.c_str(), nullptr);
}
bool Flags::changed(std::string_view name) const {
    return value(name).changed;
}

std::string wrapText(std::string_view text, size_t indent, size_t width) {
    std::string out;
    size_t avail = width > indent + 10 ? width - indent : 10;
    bool firstLine = true;
    while (true) {
        auto nl = text.find('\n');
        std::string_view para = text.substr(0, nl);
        // Greedy word wrap of one paragraph.
        size_t col = 0;
        bool lineStart = true;
        if (!firstLine) out += "\n" + std::string(indent, ' ');
        firstLine = false;
        size_t pos = 0;
        // Keep the paragraph's leading spaces (aligned sub-lists in usage texts).
        while (pos < para.size() && para[pos] == ' ') {
            out += ' ';
            col++;
            pos++;
        }
        while (pos < para.size()) {
            auto sp = para.find(' ', pos);
            std::string_view word = para.substr(pos, sp == std::string_view::npos ? sp : sp - pos);
            // Runs of spaces inside a paragraph are kept (column-aligned texts).
            size_t gap = 0;
            size_t next = sp == std::string_view::npos ? para.size() : sp;
            while (next < para.size() && para[next] == ' ') {
                gap++;
                next++;
            }
            if (!lineStart && col + word.size() > avail) {
                out += "\n" + std::string(indent, ' ');
                col = 0;
            }
            out += word;
            col += word.size();
            lineStart = false;
            if (next < para.size()) {
                if (col + gap < avail) {
                    out.append(gap, ' ');
                    col += gap;
                } else {
                    col = avail;  // forces a break before the next word
                }
            }
            pos = next;
        }
        (void)lineStart;
        if (nl == std::string_view::npos) break;
        text.remove_prefix(nl + 1);
    }
    // No trailing spaces on any line.
    std::string clean;
    size_t start = 0;
    while (start <= out.size()) {
        auto nl = out.find('\n', start);
        std::string_view line(out.data() + start,
                              (nl == std::string::npos ? out.size() : nl) - start);
        while (!line.empty() && line.back() == ' ') line.remove_suffix(1);
        clean += line;
        if (nl == std::string::npos) break;
        clean += '\n';
        start = nl + 1;
    }
    return clean;
}

std::string Flags::usageText() const {
    std::vector<std::pair<std::string, std::string>> rows;
    size_t maxLeft = 0;
    for (auto& d : defs_) {
        if (d.hidden) continue;
        std::string left = d.shorthand ? fmt::format("  -{}, --{}", d.shorthand, d.name)
                                       : fmt::format("      --{}", d.name);
        if (!d.typeName.empty()) left += " " + d.typeName;
        std::string usage = d.usage;
        bool zero = d.defValue.empty() || d.defValue == "false" || d.defValue == "0" ||
                    d.defValue == "0.000";
        if (d.showDefault && !zero) {
            if (d.kind == FlagKind::String)
                usage += fmt::format(" (default \"{}\")", d.defValue);
            else
                usage += fmt::format(" (default {})", d.defValue);
        }
        maxLeft = std::max(maxLeft, left.size());
        rows.emplace_back(std::move(left), std::move(usage));
    }
    std::string out;
    size_t col = maxLeft + 3;
    for (auto& [left, usage] : rows) {
        out += left;
        out.append(col - left.size(), ' ');
        out += wrapText(usage, col, 73);
        out += '\n';
    }
    return out;
}

}  // namespace berth::cli
