#include "monitor/log_format.h"

#include <cstring>

namespace berth::monitor::logfmt {

namespace {

// Days since 1970-01-01 of a proleptic Gregorian date, and back (H. Hinnant's algorithms):
// plain arithmetic, so the monitor's log path does not run libc's time-zone code.
int64_t daysFromCivil(int64_t y, unsigned m, unsigned d) {
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    auto yoe = static_cast<unsigned>(y - era * 400);
    unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
    unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

void civilFromDays(int64_t z, int64_t* y, unsigned* m, unsigned* d) {
    z += 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    auto doe = static_cast<unsigned>(z - era * 146097);
    unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    unsigned mp = (5 * doy + 2) / 153;
    *d = doy - (153 * mp + 2) / 5 + 1;
    *m = mp < 10 ? mp + 3 : mp - 9;
    *y = static_cast<int64_t>(yoe) + era * 400 + (*m <= 2);
}

char* putDigits(char* p, unsigned v, int width) {
    for (int i = width - 1; i >= 0; i--) {
        p[i] = static_cast<char>('0' + v % 10);
        v /= 10;
    }
    return p + width;
}

}  // namespace

size_t formatTime(int64_t ns, char* out) {
    int64_t sec = ns / 1000000000, frac = ns % 1000000000;
    if (frac < 0) {
        frac += 1000000000;
        sec--;
    }
    int64_t days = sec / 86400, rem = sec % 86400;
    if (rem < 0) {
        rem += 86400;
        days--;
    }
    int64_t y;
    unsigned mo, d;
    civilFromDays(days, &y, &mo, &d);
    char* p = out;
    p = putDigits(p, static_cast<unsigned>(y), 4);
    *p++ = '-';
    p = putDigits(p, mo, 2);
    *p++ = '-';
    p = putDigits(p, d, 2);
    *p++ = 'T';
    p = putDigits(p, static_cast<unsigned>(rem / 3600), 2);
    *p++ = ':';
    p = putDigits(p, static_cast<unsigned>(rem / 60 % 60), 2);
    *p++ = ':';
    p = putDigits(p, static_cast<unsigned>(rem % 60), 2);
    if (frac) {
        char digits[9];
        putDigits(digits, static_cast<unsigned>(frac), 9);
        int len = 9;
        while (digits[len - 1] == '0') len--;
        *p++ = '.';
        std::memcpy(p, digits, static_cast<size_t>(len));
        p += len;
    }
    *p++ = 'Z';
    *p = 0;
    return static_cast<size_t>(p - out);
}

bool parseTime(std::string_view s, int64_t* ns) {
    auto num = [&](size_t pos, size_t len, int* v) {
        if (pos + len > s.size()) return false;
        int r = 0;
        for (size_t i = pos; i < pos + len; i++) {
            if (s[i] < '0' || s[i] > '9') return false;
            r = r * 10 + (s[i] - '0');
        }
        *v = r;
        return true;
    };
    int y, mo, d, h, mi, se;
    if (!num(0, 4, &y) || !num(5, 2, &mo) || !num(8, 2, &d) || !num(11, 2, &h) ||
        !num(14, 2, &mi) || !num(17, 2, &se) || s[4] != '-' || s[7] != '-' ||
        (s[10] != 'T' && s[10] != 't' && s[10] != ' ') || s[13] != ':' || s[16] != ':') {
        return false;
    }
    if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || se > 60) return false;
    size_t pos = 19;
    int64_t frac = 0;
    if (pos < s.size() && s[pos] == '.') {
        int digits = 0;
        for (pos++; pos < s.size() && s[pos] >= '0' && s[pos] <= '9'; pos++, digits++) {
            if (digits < 9) frac = frac * 10 + (s[pos] - '0');
        }
        if (digits == 0) return false;
        for (; digits < 9; digits++) frac *= 10;
    }
    int64_t offset = 0;
    if (pos < s.size() && (s[pos] == 'Z' || s[pos] == 'z')) {
        pos++;
    } else if (pos < s.size() && (s[pos] == '+' || s[pos] == '-')) {
        int oh, om;
        if (!num(pos + 1, 2, &oh) || !num(pos + 4, 2, &om) || s[pos + 3] != ':') return false;
        offset = (oh * 3600 + om * 60) * (s[pos] == '-' ? -1 : 1);
        pos += 6;
    } else {
        return false;
    }
    if (pos != s.size()) return false;
    int64_t sec = daysFromCivil(y, static_cast<unsigned>(mo), static_cast<unsigned>(d)) * 86400 +
                  h * 3600 + mi * 60 + se - offset;
    *ns = sec * 1000000000 + frac;
    return true;
}

namespace {

// Length of a valid UTF-8 sequence at p (n bytes left), 0 when invalid.
size_t utf8Len(const unsigned char* p, size_t n) {
    unsigned c = p[0];
    size_t len;
    unsigned cp;
    if (c < 0xc2) return 0;  // continuation byte or overlong 2-byte lead
    if (c < 0xe0) {
        len = 2;
        cp = c & 0x1f;
    } else if (c < 0xf0) {
        len = 3;
        cp = c & 0x0f;
    } else if (c < 0xf5) {
        len = 4;
        cp = c & 0x07;
    } else {
        return 0;
    }
    if (n < len) return 0;
    for (size_t i = 1; i < len; i++) {
        if ((p[i] & 0xc0) != 0x80) return 0;
        cp = cp << 6 | (p[i] & 0x3f);
    }
    if ((len == 3 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
        (len == 4 && (cp < 0x10000 || cp > 0x10ffff))) {
        return 0;
    }
    return len;
}

void appendEscaped(std::string& out, std::string_view s) {
    static const char kHex[] = "0123456789abcdef";
    const auto* p = reinterpret_cast<const unsigned char*>(s.data());
    size_t n = s.size();
    for (size_t i = 0; i < n;) {
        unsigned char c = p[i];
        if (c >= 0x80) {
            size_t len = utf8Len(p + i, n - i);
            if (len == 0) {
                out += "\\ufffd";
                i++;
            } else if (len == 3 && c == 0xe2 && p[i + 1] == 0x80 && (p[i + 2] & 0xfe) == 0xa8) {
                out += p[i + 2] == 0xa8 ? "\\u2028" : "\\u2029";
                i += 3;
            } else {
                out.append(s.data() + i, len);
                i += len;
            }
            continue;
        }
        switch (c) {
            case '"':
                out += "\\\"";
                break;
            case '\\':
                out += "\\\\";
                break;
            case '\n':
                out += "\\n";
                break;
            case '\r':
                out += "\\r";
                break;
            case '\t':
                out += "\\t";
                break;
            default:
                if (c < 0x20 || c == '<' || c == '>' || c == '&') {
                    out += "\\u00";
                    out += kHex[c >> 4];
                    out += kHex[c & 0xf];
                } else {
                    out += static_cast<char>(c);
                }
        }
        i++;
    }
}

void appendUtf8(std::string& out, unsigned cp) {
    if (cp < 0x80) {
        out += static_cast<char>(cp);
    } else if (cp < 0x800) {
        out += static_cast<char>(0xc0 | cp >> 6);
        out += static_cast<char>(0x80 | (cp & 0x3f));
    } else if (cp < 0x10000) {
        out += static_cast<char>(0xe0 | cp >> 12);
        out += static_cast<char>(0x80 | (cp >> 6 & 0x3f));
        out += static_cast<char>(0x80 | (cp & 0x3f));
    } else {
        out += static_cast<char>(0xf0 | cp >> 18);
        out += static_cast<char>(0x80 | (cp >> 12 & 0x3f));
        out += static_cast<char>(0x80 | (cp >> 6 & 0x3f));
        out += static_cast<char>(0x80 | (cp & 0x3f));
    }
}

// A minimal JSON reader for one flat object: strings are decoded, other values skipped.
class Reader {
  public:
    explicit Reader(std::string_view s) : s_(s) {}

    void ws() {
        while (i_ < s_.size() && (s_[i_] == ' ' || s_[i_] == '\t' || s_[i_] == '\r')) i_++;
    }
    bool eat(char c) {
        ws();
        if (i_ < s_.size() && s_[i_] == c) {
            i_++;
            return true;
        }
        return false;
    }
    bool peek(char c) {
        ws();
        return i_ < s_.size() && s_[i_] == c;
    }
    bool atEnd() {
        ws();
        return i_ == s_.size();
    }

    bool hex4(unsigned* v) {
        if (i_ + 4 > s_.size()) return false;
        unsigned r = 0;
        for (int k = 0; k < 4; k++) {
            char c = s_[i_++];
            r <<= 4;
            if (c >= '0' && c <= '9')
                r |= static_cast<unsigned>(c - '0');
            else if (c >= 'a' && c <= 'f')
                r |= static_cast<unsigned>(c - 'a' + 10);
            else if (c >= 'A' && c <= 'F')
                r |= static_cast<unsigned>(c - 'A' + 10);
            else
                return false;
        }
        *v = r;
        return true;
    }

    bool string(std::string* out) {
        if (!eat('"')) return false;
        while (i_ < s_.size()) {
            size_t run = i_;
            while (i_ < s_.size() && s_[i_] != '"' && s_[i_] != '\\') i_++;
            if (out) out->append(s_.data() + run, i_ - run);
            if (i_ >= s_.size()) return false;
            if (s_[i_++] == '"') return true;
            if (i_ >= s_.size()) return false;
            char e = s_[i_++];
            char lit = 0;
            switch (e) {
                case '"':
                    lit = '"';
                    break;
                case '\\':
                    lit = '\\';
                    break;
                case '/':
                    lit = '/';
                    break;
                case 'b':
                    lit = '\b';
                    break;
                case 'f':
                    lit = '\f';
                    break;
                case 'n':
                    lit = '\n';
                    break;
                case 'r':
                    lit = '\r';
                    break;
                case 't':
                    lit = '\t';
                    break;
                case 'u': {
                    unsigned cp;
                    if (!hex4(&cp)) return false;
                    if (cp >= 0xd800 && cp < 0xdc00 && i_ + 1 < s_.size() && s_[i_] == '\\' &&
                        s_[i_ + 1] == 'u') {
                        size_t save = i_;
                        i_ += 2;
                        unsigned lo;
                        if (hex4(&lo) && lo >= 0xdc00 && lo < 0xe000) {
                            cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
                        } else {
                            i_ = save;
                            cp = 0xfffd;
                        }
                    } else if (cp >= 0xd800 && cp < 0xe000) {
                        cp = 0xfffd;
                    }
                    if (out) appendUtf8(*out, cp);
                    continue;
                }
                default:
                    return false;
            }
            if (out) *out += lit;
        }
        return false;
    }

    // Skips any value (nested objects and arrays included).
    bool skipValue() {
        ws();
        if (i_ >= s_.size()) return false;
        char c = s_[i_];
        if (c == '"') return string(nullptr);
        if (c == '{' || c == '[') {
            char close = c == '{' ? '}' : ']';
            i_++;
            if (eat(close)) return true;
            do {
                if (close == '}' && (!string(nullptr) || !eat(':'))) return false;
                if (!skipValue()) return false;
            } while (eat(','));
            return eat(close);
        }
        size_t start = i_;
        while (i_ < s_.size() && s_[i_] != ',' && s_[i_] != '}' && s_[i_] != ']' && s_[i_] != ' ') {
            i_++;
        }
        return i_ > start;
    }

  private:
    std::string_view s_;
    size_t i_ = 0;
};

}  // namespace

void appendEntry(std::string& out, int stream, std::string_view text, int64_t ns) {
    char t[48];
    size_t tn = formatTime(ns, t);
    out += "{\"log\":\"";
    appendEscaped(out, text);
    out += stream == 2 ? "\",\"stream\":\"stderr\",\"time\":\""
                       : "\",\"stream\":\"stdout\",\"time\":\"";
    out.append(t, tn);
    out += "\"}\n";
}

bool decodeEntry(std::string_view line, Entry& out) {
    out = Entry{};
    Reader r(line);
    if (!r.eat('{')) return false;
    bool haveTime = false;
    if (!r.peek('}')) {
        do {
            std::string key;
            if (!r.string(&key) || !r.eat(':')) return false;
            if (key == "log") {
                if (!r.string(&out.text)) return false;
            } else if (key == "stream") {
                std::string v;
                if (!r.string(&v)) return false;
                out.stream = v == "stdout" ? 1 : v == "stderr" ? 2 : 0;
            } else if (key == "time") {
                std::string v;
                if (!r.string(&v) || !parseTime(v, &out.timeNs)) return false;
                haveTime = true;
            } else if (!r.skipValue()) {
                return false;
            }
        } while (r.eat(','));
    }
    return r.eat('}') && r.atEnd() && haveTime;
}

}  // namespace berth::monitor::logfmt
