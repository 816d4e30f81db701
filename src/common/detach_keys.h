// docker's detach keys: the spec ("ctrl-p,ctrl-q") and the watch over typed input that both the
// daemon (attach/exec streams) and the CLI (its own terminal) run, as moby/term does.
#pragma once

#include <string>
#include <string_view>

#include "common/result.h"

namespace berth {

// The spec as bytes (moby/term ToBytes): comma-separated keys, each one character,
// "ctrl-<x>" with x in a-z @ [ \ ] ^ _, or "DEL"; "" gives ctrl-p,ctrl-q. A bad spec is
// EINVAL "Invalid detach keys (<spec>) provided".
Result<std::string> parseDetachKeys(std::string_view spec);

// Watches typed input for the detach sequence (moby/term's EscapeProxy): bytes that could
// start it are held back, forwarded once it breaks, dropped when it completes.
class DetachScanner {
  public:
    // `keys`: the sequence as bytes (parseDetachKeys); empty never matches.
    explicit DetachScanner(std::string keys) : keys_(std::move(keys)) {}
    // Appends to `out` the bytes of `in` that go on to the process; true when the sequence
    // completed (what followed it in `in` is dropped).
    bool feed(std::string_view in, std::string& out);
    // The partial match held back (forward it when the input ends).
    std::string_view held() const { return std::string_view(keys_).substr(0, pos_); }

  private:
    std::string keys_;
    size_t pos_ = 0;  // keys_[0, pos_) matched so far
};

}  // namespace berth
