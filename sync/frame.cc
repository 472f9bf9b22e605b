#include "sync/frame.h"

#include <cassert>
#include <cstring>

namespace outpost::sync {
namespace {
constexpr uint8_t kFrameMagic[4] = {'O', 'P', 'S', 'T'};
}

Bytes EncodePreamble(const Preamble& p) {
  Bytes out(kFrameMagic, kFrameMagic + 4);
  for (int shift = 24; shift >= 0; shift -= 8)
    out.push_back(static_cast<uint8_t>(p.version >> shift));
  out.push_back(static_cast<uint8_t>(p.pattern));
  return out;
}

Result<Preamble> DecodePreamble(std::span<const uint8_t> bytes) {
  if (bytes.size() != kPreambleBytes || std::memcmp(bytes.data(), kFrameMagic, 4) != 0) {
    return Status::Corruption("preamble: not an outpost sync peer (expected \"OPST\")");
  }
  Preamble p;
  p.version = (uint32_t{bytes[4]} << 24) | (uint32_t{bytes[5]} << 16) | (uint32_t{bytes[6]} << 8) |
              uint32_t{bytes[7]};
  p.pattern = static_cast<char>(bytes[8]);
  if (p.pattern != 'X' && p.pattern != 'I') {
    return Status::InvalidArgument("preamble.pattern: " + std::to_string(bytes[8]) +
                                   " is neither 'X' (Noise XX) nor 'I' (Noise IK)");
  }
  return p;
}

void AppendFrame(Bytes& out, std::span<const uint8_t> payload) {
  assert(!payload.empty() && payload.size() <= kMaxFrameBytes);
  uint32_t n = static_cast<uint32_t>(payload.size());
  out.push_back(static_cast<uint8_t>(n >> 24));
  out.push_back(static_cast<uint8_t>(n >> 16));
  out.push_back(static_cast<uint8_t>(n >> 8));
  out.push_back(static_cast<uint8_t>(n));
  out.insert(out.end(), payload.begin(), payload.end());
}

void FrameDecoder::Feed(std::span<const uint8_t> bytes) {
  // Compact once the consumed prefix dominates, so the buffer stays about
  // one frame long however long the stream runs.
  if (pos_ > 0 && pos_ >= buf_.size() / 2) {
    buf_.erase(buf_.begin(), buf_.begin() + static_cast<std::ptrdiff_t>(pos_));
    pos_ = 0;
  }
  buf_.insert(buf_.end(), bytes.begin(), bytes.end());
}

std::optional<Bytes> FrameDecoder::TakeRaw(size_t n) {
  if (buffered() < n) return std::nullopt;
  Bytes out(buf_.begin() + static_cast<std::ptrdiff_t>(pos_),
            buf_.begin() + static_cast<std::ptrdiff_t>(pos_ + n));
  pos_ += n;
  return out;
}

Result<std::optional<Bytes>> FrameDecoder::Next() {
  if (buffered() < kFrameHeaderBytes) return std::optional<Bytes>();
  const uint8_t* p = buf_.data() + pos_;
  uint32_t n =
      (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) | (uint32_t{p[2]} << 8) | uint32_t{p[3]};
  if (n == 0 || n > max_frame_) {
    return Status::Corruption("frame length " + std::to_string(n) + " is outside 1.." +
                              std::to_string(max_frame_));
  }
  if (buffered() < kFrameHeaderBytes + n) return std::optional<Bytes>();
  Bytes out(p + kFrameHeaderBytes, p + kFrameHeaderBytes + n);
  pos_ += kFrameHeaderBytes + n;
  return std::optional<Bytes>(std::move(out));
}

}  // namespace outpost::sync
