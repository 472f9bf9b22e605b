// Framing of a sync connection (docs/protocol.md, "Framing").
//
//   preamble  "OPST" | u32 BE protocol version | u8 pattern ('X' or 'I')
//             sent once, in clear, by the initiator (and by a responder
//             that refuses the version, so the initiator can say why).
//   frame     u32 BE length | length bytes (a Noise handshake message or a
//             transport ciphertext), 0 < length <= kMaxFrameBytes.
//
// FrameDecoder is the first code that sees peer bytes: it never asserts on
// them, never allocates more than one frame past what arrived, and reports a
// bad length as kCorruption. Pure; no sockets.
#ifndef OUTPOST_SYNC_FRAME_H_
#define OUTPOST_SYNC_FRAME_H_

#include <cstdint>
#include <deque>
#include <optional>
#include <span>

#include "base/bytes.h"
#include "base/status.h"

namespace outpost::sync {

inline constexpr uint32_t kProtocolVersion = 1;
inline constexpr size_t kPreambleBytes = 9;
inline constexpr size_t kFrameHeaderBytes = 4;
// One Noise message: 65535 bytes, tag included.
inline constexpr size_t kMaxFrameBytes = 65535;
// Largest plaintext a transport frame carries (frame minus the 16-byte tag).
inline constexpr size_t kMaxMessageBytes = kMaxFrameBytes - 16;

struct Preamble {
  uint32_t version = kProtocolVersion;
  char pattern = 'X';  // 'X' (Noise XX) or 'I' (Noise IK)
};

Bytes EncodePreamble(const Preamble& p);
// kCorruption: not "OPST"; kInvalidArgument: pattern not 'X' or 'I'.
// The version is returned as sent; the caller decides whether it speaks it.
Result<Preamble> DecodePreamble(std::span<const uint8_t> bytes);

// Appends the 4-byte length and `payload` to `out`. `payload` must be
// non-empty and at most kMaxFrameBytes (asserted: callers build it).
void AppendFrame(Bytes& out, std::span<const uint8_t> payload);

// Splits a byte stream into frames.
class FrameDecoder {
 public:
  explicit FrameDecoder(size_t max_frame = kMaxFrameBytes) : max_frame_(max_frame) {}

  // Appends bytes read from the link.
  void Feed(std::span<const uint8_t> bytes);
  // Takes exactly `n` raw bytes from the front (the preamble) when they are
  // there; nullopt when fewer arrived.
  std::optional<Bytes> TakeRaw(size_t n);
  // The next complete frame's payload, nullopt if it has not fully arrived,
  // or kCorruption for a zero or oversized length (the stream is then dead).
  Result<std::optional<Bytes>> Next();
  // Bytes held that do not yet form a frame.
  size_t buffered() const { return buf_.size() - pos_; }
  // The bytes held, unconsumed (valid until the next call).
  std::span<const uint8_t> Peek() const { return std::span<const uint8_t>(buf_).subspan(pos_); }

 private:
  size_t max_frame_;
  Bytes buf_;
  size_t pos_ = 0;
};

}  // namespace outpost::sync

#endif  // OUTPOST_SYNC_FRAME_H_
