// Fuzzes the Noise handshake and transport with hostile peer bytes.
//
// Input layout: byte 0 picks the mode (mod 4); the rest is a sequence of
// frames, each a 2-byte big-endian length followed by that many bytes (a
// short final frame takes what is left).
//   0  XX responder: frame 1 = message 1; it answers; frame 2 = message 3;
//      any further frames are transport frames to the responder.
//   1  IK responder: frame 1 = message 1; it answers; further frames are
//      transport frames to the responder.
//   2  transport: every frame is offered to the receive side of a responder
//      that completed a genuine XX handshake (run once at start-up; each
//      input starts from a fresh copy of its transport keys and nonces).
//   3  XX initiator: it sends message 1; frame 1 = message 2; it answers;
//      further frames are transport frames to the initiator.
// All keys and ephemerals are fixed (seeded), so every input replays exactly
// and seed inputs can carry genuine messages. The target checks that no
// input crashes, trips a sanitizer, or makes the state machine contradict
// itself (e.g. Split succeeding on an incomplete handshake).
#include <cstdint>
#include <cstdlib>
#include <span>
#include <vector>

#include "base/clock.h"
#include "crypto/keys.h"
#include "crypto/noise.h"
#include "crypto/noise_internal.h"
#include "crypto/secret.h"

namespace outpost::crypto::fuzz {

using Frames = std::vector<std::span<const uint8_t>>;

inline Frames SplitFrames(std::span<const uint8_t> data) {
  Frames frames;
  while (data.size() >= 2) {
    size_t len = (size_t{data[0]} << 8) | data[1];
    data = data.subspan(2);
    if (len > data.size()) len = data.size();
    frames.push_back(data.first(len));
    data = data.subspan(len);
  }
  return frames;
}

struct Fixture {
  KxKeyPair initiator;
  KxKeyPair responder;
  Bytes prologue;
};

inline Fixture MakeFixture() {
  if (!InitCrypto().ok()) std::abort();
  SeededRandom rnd(0x0b5e55ed);
  KxKeyPair i = KxKeyPair::Generate(rnd);
  KxKeyPair r = KxKeyPair::Generate(rnd);
  return Fixture{std::move(i), std::move(r), OutpostPrologue(1)};
}

inline const Fixture& Keys() {
  static const Fixture kFixture = MakeFixture();
  return kFixture;
}

// Fixed ephemerals: the initiator draws from seed 1, the responder seed 2.
inline HandshakeState MakeInitiator(NoisePattern p) {
  SeededRandom rnd(1);
  std::optional<PublicKeyBytes> pinned;
  if (p == NoisePattern::kIK) pinned = Keys().responder.PublicKey();
  return std::move(*HandshakeState::Initiator(p, Keys().initiator, pinned, Keys().prologue, rnd));
}
inline HandshakeState MakeResponder(NoisePattern p) {
  SeededRandom rnd(2);
  return std::move(*HandshakeState::Responder(p, Keys().responder, Keys().prologue, rnd));
}

inline void Check(bool ok) {
  if (!ok) std::abort();
}

// The responder's side of one genuine XX handshake between the fixed keys.
inline TransportState Establish() {
  HandshakeState i = MakeInitiator(NoisePattern::kXX);
  HandshakeState r = MakeResponder(NoisePattern::kXX);
  Check(r.ReadMessage(*i.WriteMessage({})).ok());
  Check(i.ReadMessage(*r.WriteMessage({})).ok());
  Check(r.ReadMessage(*i.WriteMessage({})).ok());
  auto t = r.Split();
  Check(t.ok());
  return std::move(*t);
}

inline const TransportState& EstablishedResponder() {
  static const TransportState kResponder = Establish();
  return kResponder;
}

// Offers `frames` from index `from` to `t` as received transport frames.
inline void FeedTransport(TransportState& t, const Frames& frames, size_t from) {
  for (size_t i = from; i < frames.size(); ++i) {
    auto r = t.Decrypt(frames[i]);
    if (r.ok()) Check(r->size() + kNoiseTagSize == frames[i].size());
  }
}

// Reads handshake frames into `hs` while it expects to read, writing its
// replies; returns the index of the first frame not used.
inline size_t DriveHandshake(HandshakeState& hs, const Frames& frames) {
  size_t next = 0;
  while (!hs.Complete() && !hs.Failed()) {
    if (hs.IsMyTurn()) {
      if (!hs.WriteMessage({}).ok()) break;
      continue;
    }
    if (next >= frames.size()) break;
    if (!hs.ReadMessage(frames[next++]).ok()) {
      Check(hs.Failed());  // a refused message always poisons
      break;
    }
  }
  return next;
}

inline void Run(std::span<const uint8_t> data) {
  if (data.empty()) return;
  const uint8_t mode = data[0] % 4;
  Frames frames = SplitFrames(data.subspan(1));
  switch (mode) {
    case 0:
    case 1: {
      HandshakeState r = MakeResponder(mode == 0 ? NoisePattern::kXX : NoisePattern::kIK);
      size_t used = DriveHandshake(r, frames);
      auto t = r.Split();
      Check(t.ok() == r.Complete());
      if (t.ok()) FeedTransport(*t, frames, used);
      break;
    }
    case 2: {
      const TransportState& genuine = EstablishedResponder();
      TransportState t(detail::CipherStateTestAccess::Clone(genuine.send()),
                       detail::CipherStateTestAccess::Clone(genuine.recv()));
      FeedTransport(t, frames, 0);
      break;
    }
    case 3: {
      HandshakeState i = MakeInitiator(NoisePattern::kXX);
      Check(i.WriteMessage({}).ok());
      size_t used = DriveHandshake(i, frames);
      auto t = i.Split();
      Check(t.ok() == i.Complete());
      if (t.ok()) FeedTransport(*t, frames, used);
      break;
    }
  }
}

}  // namespace outpost::crypto::fuzz

#ifndef OUTPOST_FUZZ_NO_ENTRY_POINT
extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  outpost::crypto::fuzz::Run(std::span<const uint8_t>(data, size));
  return 0;
}
#endif
