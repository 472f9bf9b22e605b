#include "sync/bundle.h"

#include <cstring>

#include "crypto/aead.h"
#include "sync/wire.h"

namespace outpost::sync {
namespace {

constexpr uint8_t kBundleMagic[4] = {'O', 'P', 'B', 'N'};
constexpr uint8_t kVersionPlain = 1;                  // the payload as is
constexpr uint8_t kVersionCompressed = 2;             // the payload zstd-compressed
constexpr size_t kHeaderBytes = 4 + 1 + 16 + 16 + 8;  // 45
constexpr size_t kSignatureBytes = 64;

void PutLe(Bytes& out, uint64_t v, int n) {
  for (int i = 0; i < n; ++i) out.push_back(static_cast<uint8_t>(v >> (8 * i)));
}
uint64_t GetLe(const uint8_t* p, int n) {
  uint64_t v = 0;
  for (int i = n - 1; i >= 0; --i) v = (v << 8) | p[i];
  return v;
}

}  // namespace

Result<Bytes> ExportBundle(const BundleEnv& env, const NodeId& to,
                           const crypto::PublicKeyBytes& to_kx, BundleInfo* info,
                           size_t max_bytes) {
  PeerPolicy* policy = env.policy;
  OUTPOST_RETURN_IF_ERROR(
      env.replica->Seal([policy](std::span<const uint8_t> input) { return policy->Sign(input); })
          .status());
  OUTPOST_ASSIGN_OR_RETURN(VersionVector known, env.ledger->Known(to));
  OUTPOST_ASSIGN_OR_RETURN(
      auto batches,
      env.replica->BatchesFor(
          known, [policy, &to](const std::string& scope) { return policy->MayRead(to, scope); },
          max_bytes));
  BundlePayload p;
  p.from = policy->SelfId();
  p.to = to;
  p.created_micros = env.clock->NowMicros();
  OUTPOST_ASSIGN_OR_RETURN(p.sender_vv, env.replica->GetVersionVector());
  size_t total = 0;
  for (const auto& b : batches) {
    p.batches.push_back(EncodeSignedBatch(b.batch));
    total += p.batches.back().size();
    if (total > max_bytes) {
      return Status::InvalidArgument("bundle: more than " + std::to_string(max_bytes) +
                                     " bytes of changes are due; sync over a link or raise the "
                                     "limit");
    }
  }
  Bytes header(kBundleMagic, kBundleMagic + 4);
  header.push_back(env.compress ? kVersionCompressed : kVersionPlain);
  header.insert(header.end(), p.from.begin(), p.from.end());
  header.insert(header.end(), to.begin(), to.end());
  PutLe(header, static_cast<uint64_t>(p.created_micros), 8);
  Bytes plain = EncodeBundlePayload(p);
  if (env.compress) {
    ZstdCodec codec;
    OUTPOST_ASSIGN_OR_RETURN(plain, CompressPayload(codec, plain));
  }
  OUTPOST_ASSIGN_OR_RETURN(
      Bytes box, crypto::SealToRecipient(plain, to_kx, *env.random, env.local_kx, header));
  Bytes file = header;
  PutLe(file, box.size(), 4);
  file.insert(file.end(), box.begin(), box.end());
  Bytes sig = policy->Sign(file);
  if (sig.size() != kSignatureBytes) return Status::Internal("signer returned a bad signature");
  file.insert(file.end(), sig.begin(), sig.end());
  if (info) {
    info->from = p.from;
    info->to = to;
    info->created_micros = p.created_micros;
    info->batches = p.batches.size();
  }
  return file;
}

Result<BundleInfo> ImportBundle(const BundleEnv& env, std::span<const uint8_t> file) {
  if (file.size() < kHeaderBytes + 4 + kSignatureBytes ||
      std::memcmp(file.data(), kBundleMagic, 4) != 0) {
    return Status::Corruption("bundle: not an outpost bundle (expected \"OPBN\")");
  }
  const uint8_t version = file[4];
  if (version != kVersionPlain && version != kVersionCompressed) {
    return Status::Corruption("bundle.version: " + std::to_string(version) +
                              " is not a version this node reads (1, 2)");
  }
  BundleInfo info;
  std::memcpy(info.from.data(), file.data() + 5, 16);
  std::memcpy(info.to.data(), file.data() + 21, 16);
  info.created_micros = static_cast<int64_t>(GetLe(file.data() + 37, 8));
  uint64_t box_len = GetLe(file.data() + kHeaderBytes, 4);
  if (box_len != file.size() - kHeaderBytes - 4 - kSignatureBytes) {
    return Status::Corruption("bundle: box length " + std::to_string(box_len) +
                              " does not match the file size " + std::to_string(file.size()));
  }
  if (info.to != env.policy->SelfId()) {
    return Status::InvalidArgument("bundle is for node " + UuidToString(info.to) +
                                   ", not this node " + UuidToString(env.policy->SelfId()));
  }
  // The sender's signature over the whole file, checked before the box is
  // opened: a file whose signature fails is never taken in, and one that
  // passes can be attributed by anyone holding the sender's certificate.
  {
    const size_t signed_len = file.size() - kSignatureBytes;
    Status s =
        env.policy->VerifySignature(info.from, file.first(signed_len), file.subspan(signed_len));
    if (!s.ok()) {
      return Status::Unauthenticated("bundle.signature: does not verify with the key of node " +
                                     UuidToString(info.from) + " (" + s.message() + ")");
    }
  }
  auto header = file.first(kHeaderBytes);
  auto box = file.subspan(kHeaderBytes + 4, box_len);
  OUTPOST_ASSIGN_OR_RETURN(auto opened,
                           crypto::OpenFromSender(box, *env.local_kx, nullptr, header));
  if (!opened.sender) return Status::Unauthenticated("bundle: the box names no sender key");
  OUTPOST_ASSIGN_OR_RETURN(NodeId sender, env.policy->AuthorizePeer(*opened.sender));
  if (sender != info.from) {
    return Status::Unauthenticated("bundle: sealed by node " + UuidToString(sender) +
                                   " but claims to be from " + UuidToString(info.from));
  }
  if (version == kVersionCompressed) {
    OUTPOST_ASSIGN_OR_RETURN(opened.plaintext, ExpandPayload(opened.plaintext, kMaxBundleBytes));
  }
  OUTPOST_ASSIGN_OR_RETURN(auto payload, DecodeBundlePayload(opened.plaintext, kMaxBundleBytes));
  if (payload.from != info.from || payload.to != info.to) {
    return Status::Corruption("bundle: payload ids do not match the header");
  }
  std::vector<SignedBatch> batches;
  for (const Bytes& b : payload.batches) {
    OUTPOST_ASSIGN_OR_RETURN(auto sb, DecodeSignedBatch(b));
    batches.push_back(std::move(sb));
  }
  PeerPolicy* policy = env.policy;
  OUTPOST_ASSIGN_OR_RETURN(
      info.merge, env.replica->Merge(
                      batches, [policy](const ChangeBatch& batch, const SignedBatch& sb) -> Status {
                        if (!policy->MayRead(policy->SelfId(), batch.scope)) {
                          return Status::PermissionDenied("scope " + batch.scope +
                                                          " is not this node's to hold");
                        }
                        return policy->VerifyBatch(batch, sb);
                      }));
  info.batches = batches.size();
  OUTPOST_RETURN_IF_ERROR(env.ledger->Advance(info.from, payload.sender_vv));
  OUTPOST_RETURN_IF_ERROR(env.ledger->RecordSuccess(info.from, env.clock->NowMicros()));
  return info;
}

}  // namespace outpost::sync
