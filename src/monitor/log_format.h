// One json-file log entry, encoded and decoded as docker does:
//   {"log":"text\n","stream":"stdout","time":"2026-11-25T10:00:00.123456789Z"}
// Times are RFC 3339 in UTC with nanoseconds, trailing zeros trimmed (Go's RFC3339Nano).
// Text is escaped like Go's encoding/json: invalid UTF-8 becomes U+FFFD, <>& and U+2028/9 are
// \u-escaped.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace berth::monitor::logfmt {

// Writes the time into out (at least 40 bytes); returns its length.
size_t formatTime(int64_t ns, char* out);
// Parses RFC 3339 ("Z" or a numeric offset, any fraction length).
bool parseTime(std::string_view s, int64_t* ns);

// Appends one encoded entry with its trailing '\n'. stream: 1 stdout, 2 stderr.
void appendEntry(std::string& out, int stream, std::string_view text, int64_t ns);

struct Entry {
    int stream = 0;  // 1 stdout, 2 stderr, 0 unknown
    std::string text;
    int64_t timeNs = 0;
};
// Decodes one line (without its '\n'); false when it is not a log entry object.
bool decodeEntry(std::string_view line, Entry& out);

}  // namespace berth::monitor::logfmt
