// The json-file log writer of a container's monitor: raw stdout/stderr bytes in, docker's
// json-file entries out. Lines are cut at '\n'; a line that reaches 16 KiB without one, or
// whatever is left at EOF (flush()), goes out as a partial entry (no trailing '\n'), as docker
// does. Before an entry is written, a file that reached maxSize is rotated: <log>.N-2 ->
// <log>.N-1, ..., <log> -> <log>.1 and a new <log> (maxFiles 1: truncated in place).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "common/result.h"
#include "common/unique_fd.h"

namespace berth::monitor {

class LogWriter {
  public:
    static constexpr size_t kMaxLine = 16 * 1024;

    // Appends to path (created 0640 when missing). maxSize 0: never rotates.
    Status open(const std::string& path, int64_t maxSize, int maxFiles);
    bool isOpen() const { return fd_.valid(); }

    // stream: 1 stdout, 2 stderr. Complete entries are written before this returns; a write
    // error (ENOSPC) is returned and those entries are lost, the writer stays usable.
    Status write(int stream, std::string_view data, int64_t nowNs);
    // Writes stream's pending partial line, if any.
    Status flush(int stream, int64_t nowNs);

    int64_t size() const { return size_; }

  private:
    void emit(int stream, std::string_view text, int64_t ns);
    Status commit();
    Status rotate();

    std::string path_;
    int64_t maxSize_ = 0;
    int maxFiles_ = 1;
    UniqueFd fd_;
    int64_t size_ = 0;
    Status pendingError_;
    std::string out_;
    size_t lineLen_[2] = {0, 0};
    char line_[2][kMaxLine];
};

}  // namespace berth::monitor
