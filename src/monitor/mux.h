// docker's multiplexed attach/logs stream (no TTY): each frame is an 8-byte header
// [stream (0 stdin, 1 stdout, 2 stderr), 0, 0, 0, length (big-endian uint32)] then the bytes.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace berth::monitor::mux {

inline constexpr size_t kHeaderSize = 8;

inline void encodeHeader(uint8_t stream, uint32_t len, char out[kHeaderSize]) {
    out[0] = static_cast<char>(stream);
    out[1] = out[2] = out[3] = 0;
    out[4] = static_cast<char>(len >> 24);
    out[5] = static_cast<char>(len >> 16 & 0xff);
    out[6] = static_cast<char>(len >> 8 & 0xff);
    out[7] = static_cast<char>(len & 0xff);
}

// A whole frame (header + payload) as a string.
inline std::string frame(uint8_t stream, std::string_view payload) {
    std::string out(kHeaderSize, '\0');
    encodeHeader(stream, static_cast<uint32_t>(payload.size()), out.data());
    out.append(payload);
    return out;
}

// Incremental decoder: feed() bytes as they come; each complete frame goes to the callback.
class Decoder {
  public:
    // Returns false on a malformed header (a stream byte above 2 or non-zero padding).
    template <typename F>
    bool feed(std::string_view data, F&& onFrame) {
        buf_.append(data);
        size_t off = 0;
        while (buf_.size() - off >= kHeaderSize) {
            auto u = [&](size_t i) { return static_cast<uint8_t>(buf_[off + i]); };
            if (u(0) > 2 || u(1) || u(2) || u(3)) return false;
            uint32_t len = static_cast<uint32_t>(u(4)) << 24 | static_cast<uint32_t>(u(5)) << 16 |
                           static_cast<uint32_t>(u(6)) << 8 | u(7);
            if (buf_.size() - off - kHeaderSize < len) break;
            onFrame(static_cast<int>(u(0)), std::string_view(buf_).substr(off + kHeaderSize, len));
            off += kHeaderSize + len;
        }
        buf_.erase(0, off);
        return true;
    }
    // Bytes of an incomplete frame still buffered.
    size_t pending() const { return buf_.size(); }

  private:
    std::string buf_;
};

}  // namespace berth::monitor::mux
