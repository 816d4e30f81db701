#include "monitor/mux.h"

#include <gtest/gtest.h>

#include <utility>
#include <vector>

#include "monitor/protocol.h"

namespace berth::monitor {
namespace {

TEST(Mux, HeaderIsDockers) {
    std::string f = mux::frame(2, "hello");
    ASSERT_EQ(f.size(), 13u);
    EXPECT_EQ(std::string(f.data(), 8), std::string("\x02\0\0\0\0\0\0\x05", 8));
    char hdr[8];
    mux::encodeHeader(1, 0x01020304, hdr);
    EXPECT_EQ(std::string(hdr, 8), std::string("\x01\0\0\0\x01\x02\x03\x04", 8));
}

TEST(Mux, DecoderReassemblesAcrossReads) {
    std::string stream = mux::frame(1, "out\n") + mux::frame(2, "err\n") + mux::frame(1, "") +
                         mux::frame(1, std::string(70000, 'x'));
    std::vector<std::pair<int, std::string>> got;
    mux::Decoder d;
    for (size_t i = 0; i < stream.size(); i += 7) {  // odd chunk sizes split headers too
        ASSERT_TRUE(d.feed(std::string_view(stream).substr(i, 7),
                           [&](int s, std::string_view p) { got.emplace_back(s, p); }));
    }
    EXPECT_EQ(d.pending(), 0u);
    ASSERT_EQ(got.size(), 4u);
    EXPECT_EQ(got[0], std::make_pair(1, std::string("out\n")));
    EXPECT_EQ(got[1], std::make_pair(2, std::string("err\n")));
    EXPECT_EQ(got[2], std::make_pair(1, std::string()));
    EXPECT_EQ(got[3].second.size(), 70000u);
}

TEST(Mux, DecoderRejectsGarbage) {
    mux::Decoder d;
    EXPECT_FALSE(d.feed("hello world!", [](int, std::string_view) {}));
}

TEST(Protocol, RequestRoundTrip) {
    proto::Request r;
    r.type = proto::kResize;
    r.flags = proto::kStdin | proto::kStderr;
    r.height = 300;
    r.width = 65535;
    char buf[proto::kRequestSize];
    proto::encodeRequest(r, buf);
    auto back = proto::decodeRequest(buf);
    EXPECT_EQ(back.type, proto::kResize);
    EXPECT_EQ(back.flags, proto::kStdin | proto::kStderr);
    EXPECT_EQ(back.height, 300);
    EXPECT_EQ(back.width, 65535);
}

}  // namespace
}  // namespace berth::monitor
