#include "compose/values.h"

#include <cctype>
#include <cmath>
#include <cstdlib>

namespace berth::compose {

Result<std::vector<std::string>> shellSplit(std::string_view s) {
    std::vector<std::string> words;
    std::string cur;
    bool inWord = false;
    auto unterminated = [&] { return invalid("unterminated quoted string in \"{}\"", s); };
    for (size_t i = 0; i < s.size(); ++i) {
        char c = s[i];
        if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
            if (inWord) words.push_back(std::move(cur));
            cur.clear();
            inWord = false;
            continue;
        }
        if (c == '\\') {
            if (i + 1 >= s.size()) {
                cur += '\\';  // a trailing backslash stays
            } else if (s[i + 1] == '\n') {
                ++i;  // line continuation: neither a character nor a word break
                continue;
            } else {
                cur += s[++i];
            }
            inWord = true;
            continue;
        }
        inWord = true;
        if (c == '\'') {
            size_t end = s.find('\'', i + 1);
            if (end == std::string_view::npos) return unterminated();
            cur.append(s.substr(i + 1, end - i - 1));
            i = end;
        } else if (c == '"') {
            size_t j = i + 1;
            for (; j < s.size() && s[j] != '"'; ++j) {
                if (s[j] == '\\' && j + 1 < s.size()) {
                    char e = s[j + 1];
                    if (e == '\\' || e == '"' || e == '$' || e == '`') {
                        cur += e;
                        ++j;
                        continue;
                    }
                    if (e == '\n') {
                        ++j;
                        continue;
                    }
                }
                cur += s[j];
            }
            if (j >= s.size()) return unterminated();
            i = j;
        } else {
            cur += c;
        }
    }
    if (inWord) words.push_back(std::move(cur));
    return words;
}


}  // namespace berth::compose
