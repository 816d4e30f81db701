#include "compose/interpolate.h"

#include <algorithm>

namespace berth::compose {
namespace {

bool isNameStart(char c) {
    return c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}
bool isNameChar(char c) {
    return isNameStart(c) || (c >= '0' && c <= '9');
}

// A recursive-descent pass over the text. `eval` false parses a word that will not be used
// (checking its syntax only), so its lookups, warnings and required errors do not happen.
class Interpolator {
  public:
    Interpolator(std::string_view text, const Lookup& lookup, std::vector<std::string>* unset)
        : text_(text), lookup_(lookup), unset_(unset) {}

    Result<std::string> run() {
        size_t pos = 0;
        auto out = TRY(sequence(pos, false, true));
        return out;
    }

  private:
    Error bad() const {
        return invalid(
            "invalid interpolation format for \"{}\": you may need to escape any $ with "
            "another $",
            text_);
    }

    std::optional<std::string> get(std::string_view name) const {
        if (!lookup_) return std::nullopt;
        return lookup_(name);
    }

    void noteUnset(const std::string& name) {
        if (!unset_) return;
        if (std::find(unset_->begin(), unset_->end(), name) == unset_->end()) {
            unset_->push_back(name);
        }
    }

    std::string readName(size_t& pos) const {
        size_t start = pos;
        if (pos < text_.size() && isNameStart(text_[pos])) {
            while (pos < text_.size() && isNameChar(text_[pos])) ++pos;
        }
        return std::string(text_.substr(start, pos - start));
    }

    // Text up to the end, or (nested) up to the '}' closing the enclosing ${...}, left at pos.
    Result<std::string> sequence(size_t& pos, bool nested, bool eval) {
        std::string out;
        while (pos < text_.size()) {
            char c = text_[pos];
            if (nested && c == '}') return out;
            if (c != '$') {
                out += c;
                ++pos;
                continue;
            }
            if (pos + 1 >= text_.size()) return bad();
            char d = text_[pos + 1];
            if (d == '$') {
                out += '$';
                pos += 2;
            } else if (isNameStart(d)) {
                ++pos;
                std::string name = readName(pos);
                if (eval) out += plain(name);
            } else if (d == '{') {
                pos += 2;
                out += TRY(braced(pos, eval));
            } else {
                return bad();
            }
        }
        if (nested) return bad();  // the enclosing ${ is never closed
        return out;
    }

    std::string plain(const std::string& name) {
        auto v = get(name);
        if (!v) {
            noteUnset(name);
            return "";
        }
        return *v;
    }

    // After "${": NAME "}" or NAME [":"] ("-" | "?" | "+") WORD "}".
    Result<std::string> braced(size_t& pos, bool eval) {
        std::string name = readName(pos);
        if (name.empty() || pos >= text_.size()) return bad();
        if (text_[pos] == '}') {
            ++pos;
            return eval ? plain(name) : std::string();
        }
        bool colon = false;
        if (text_[pos] == ':') {
            colon = true;
            ++pos;
            if (pos >= text_.size()) return bad();
        }
        char op = text_[pos];
        if (op != '-' && op != '?' && op != '+') return bad();
        ++pos;

        std::optional<std::string> value = eval ? get(name) : std::nullopt;
        bool present = value && (!colon || !value->empty());
        bool useWord = op == '+' ? present : !present;
        std::string word = TRY(sequence(pos, true, eval && useWord));
        ++pos;  // the closing '}' (sequence only returns there)
        if (!eval) return std::string();
        switch (op) {
            case '-':
                return useWord ? word : *value;
            case '+':
                return useWord ? word : value.value_or("");
            default:  // '?'
                if (!present) {
                    if (word.empty())
                        return invalid("required variable {} is missing a value", name);
                    return invalid("required variable {} is missing a value: {}", name, word);
                }
                return *value;
        }
    }

    std::string_view text_;
    const Lookup& lookup_;
    std::vector<std::string>* unset_;
};

}  // namespace

bool isVariableName(std::string_view name) {
    if (name.empty() || !isNameStart(name[0])) return false;
    return std::all_of(name.begin(), name.end(), isNameChar);
}

Result<std::string> interpolate(std::string_view text, const Lookup& lookup,
                                std::vector<std::string>* unset) {
    if (text.find('$') == std::string_view::npos) return std::string(text);
    return Interpolator(text, lookup, unset).run();
}

}  // namespace berth::compose
