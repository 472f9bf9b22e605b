#include "node/keys.h"

#include <capnp/message.h>
#include <capnp/serialize.h>
#include <kj/exception.h>

#include <algorithm>
#include <cstring>
#include <filesystem>

#include "base/file.h"
#include "schema/keys.capnp.h"

namespace outpost::node {

namespace cp = ::outpost::schema::capnp;

namespace {

constexpr size_t kMaxDocumentBytes = 64 * 1024;
constexpr uint64_t kMaxKeyFileBytes = 4096;

kj::ArrayPtr<const kj::byte> AsKj(std::span<const uint8_t> s) {
  return kj::ArrayPtr<const kj::byte>(s.data(), s.size());
}

capnp::Text::Reader AsText(const std::string& s) { return capnp::Text::Reader(s.data(), s.size()); }

template <size_t N>
void CopyFixed(capnp::Data::Reader d, std::array<uint8_t, N>* out, const char* field) {
  if (d.size() != N) {
    KJ_FAIL_REQUIRE("field has the wrong length", field, d.size(), N);
  }
  std::memcpy(out->data(), d.begin(), N);
}

cp::NodeRole ToCp(Role r) { return r == Role::kHq ? cp::NodeRole::HQ : cp::NodeRole::SITE; }
Role FromCp(cp::NodeRole r) { return r == cp::NodeRole::HQ ? Role::kHq : Role::kSite; }

// The canonical bytes of the root of `msg`.
template <typename Reader>
Bytes Canonical(Reader r) {
  auto words = capnp::canonicalize(r);
  auto bytes = words.asBytes();
  return Bytes(bytes.begin(), bytes.end());
}

capnp::ReaderOptions Limits(size_t bytes) {
  capnp::ReaderOptions o;
  o.traversalLimitInWords = bytes / 2 + 1024;
  o.nestingLimit = 8;
  return o;
}

// Runs `read(root)` over a canonical single-segment body, turning every
// kj::Exception into kCorruption "<what>: ...". Refuses bodies that are not
// in canonical form, so one document has exactly one byte string.
template <typename T, typename Fn>
Status ReadCanonical(std::span<const uint8_t> body, const char* what, Fn&& read) {
  if (body.empty() || body.size() % 8 != 0 || body.size() > kMaxDocumentBytes) {
    return Status::Corruption(std::string(what) + ": " + std::to_string(body.size()) +
                              " bytes is not a whole number of 8-byte words under 64 KiB");
  }
  std::string problem;
  kj::Maybe<kj::Exception> err = kj::runCatchingExceptions([&]() {
    auto words = kj::heapArray<capnp::word>(body.size() / sizeof(capnp::word));
    std::memcpy(words.begin(), body.data(), body.size());
    kj::ArrayPtr<const capnp::word> seg = words;
    capnp::SegmentArrayMessageReader reader(kj::arrayPtr(&seg, 1), Limits(body.size()));
    if (!reader.isCanonical()) {
      problem = "not in canonical form";
      return;
    }
    read(reader.getRoot<T>());
  });
  KJ_IF_MAYBE (e, err) {
    return Status::Corruption(std::string(what) + ": " + e->getDescription().cStr());
  }
  if (!problem.empty()) return Status::Corruption(std::string(what) + ": " + problem);
  return Status::Ok();
}

Bytes Sign(std::string_view kind, std::span<const uint8_t> body, const crypto::SigningKey& key) {
  auto sig = key.Sign(SignatureInput(kind, body));
  return Bytes(sig.begin(), sig.end());
}

Status CheckKind(const Envelope& e, std::string_view kind) {
  if (e.kind != kind) {
    return Status::InvalidArgument("document kind: \"" + e.kind + "\" where \"" +
                                   std::string(kind) + "\" was expected");
  }
  return Status::Ok();
}

Status VerifyWith(const crypto::VerifyKey& key, std::string_view kind,
                  std::span<const uint8_t> body, std::span<const uint8_t> sig,
                  const std::string& who) {
  Status s = key.Verify(SignatureInput(kind, body), sig);
  if (!s.ok()) {
    return Status::Unauthenticated(std::string(kind) +
                                   " document: signature does not verify with " + who + " (" +
                                   crypto::Fingerprint(key.bytes()) + ")");
  }
  return Status::Ok();
}

std::vector<std::string> TextList(capnp::List<capnp::Text>::Reader l) {
  std::vector<std::string> out;
  for (auto t : l) out.emplace_back(t.cStr(), t.size());
  return out;
}

void SetTextList(capnp::List<capnp::Text>::Builder b, const std::vector<std::string>& v) {
  for (size_t i = 0; i < v.size(); ++i) b.set(static_cast<unsigned>(i), AsText(v[i]));
}

}  // namespace

// ---- Key files -------------------------------------------------------------

std::string KeyFilePath(const std::string& dir) { return dir + "/node.key"; }
std::string NextKeyFilePath(const std::string& dir) { return dir + "/node.key.next"; }

crypto::NodeSecrets GenerateNodeSecrets(Random& random) {
  crypto::SigningKey s = crypto::SigningKey::Generate(random);
  crypto::KxKeyPair k = crypto::KxKeyPair::Generate(random);
  return crypto::NodeSecrets{std::move(s), std::move(k)};
}

Status WriteKeyFile(const std::string& path, const crypto::NodeSecrets& secrets,
                    std::string_view passphrase, const crypto::PwhashParams& params,
                    bool overwrite) {
  std::error_code ec;
  if (!overwrite && std::filesystem::exists(path, ec)) {
    return Status::AlreadyExists("key file " + path +
                                 " already exists (a node's keys are never overwritten)");
  }
  OUTPOST_ASSIGN_OR_RETURN(Bytes sealed, crypto::SealNodeSecrets(secrets, passphrase, params));
  return WriteFileAtomic(path, sealed, 0600);
}

Result<crypto::NodeSecrets> ReadKeyFile(const std::string& path, std::string_view passphrase) {
  auto bytes = ReadFile(path, kMaxKeyFileBytes);
  if (!bytes.ok()) {
    if (bytes.status().code() == Code::kNotFound) {
      return Status::NotFound("no key file at " + path + ": run `outpost init` first");
    }
    return bytes.status().WithContext("key file " + path);
  }
  auto secrets = crypto::OpenNodeSecrets(*bytes, passphrase);
  if (!secrets.ok()) return secrets.status().WithContext("key file " + path);
  return std::move(*secrets);
}

Status ChangeKeyFilePassphrase(const std::string& path, std::string_view old_passphrase,
                               std::string_view new_passphrase,
                               const crypto::PwhashParams& params) {
  OUTPOST_ASSIGN_OR_RETURN(crypto::NodeSecrets secrets, ReadKeyFile(path, old_passphrase));
  return WriteKeyFile(path, secrets, new_passphrase, params, /*overwrite=*/true);
}

// ---- Scopes ----------------------------------------------------------------

bool Certificate::MayWrite(const std::string& scope) const {
  // "shared" is HQ's alone, whatever a certificate lists.
  if (scope == "shared" && role != Role::kHq) return false;
  return std::find(write_scopes.begin(), write_scopes.end(), scope) != write_scopes.end();
}

bool Certificate::MayRead(const std::string& scope) const {
  for (const auto& s : read_scopes) {
    if (s == "*" || s == scope) return true;
  }
  return false;
}

std::vector<std::string> DefaultReadScopes(Role role, const std::string& site) {
  if (role == Role::kHq) return {"*"};
  return {"shared", "site:" + site};
}

std::vector<std::string> DefaultWriteScopes(Role role, const std::string& site) {
  if (role == Role::kHq) return {"shared", "site:" + site};
  return {"site:" + site};
}

// ---- Envelopes -------------------------------------------------------------

Bytes SignatureInput(std::string_view kind, std::span<const uint8_t> body) {
  std::string tag = "outpost-" + std::string(kind) + "-v1";
  Bytes in(tag.begin(), tag.end());
  in.push_back(0);
  in.insert(in.end(), body.begin(), body.end());
  return in;
}

Bytes EncodeEnvelope(const Envelope& e) {
  capnp::MallocMessageBuilder msg;
  auto b = msg.initRoot<cp::Envelope>();
  b.setKind(AsText(e.kind));
  b.setBody(AsKj(e.body));
  b.setSignature(AsKj(e.signature));
  if (!e.new_key_signature.empty()) b.setNewKeySignature(AsKj(e.new_key_signature));
  auto words = capnp::messageToFlatArray(msg);
  auto bytes = words.asBytes();
  return Bytes(bytes.begin(), bytes.end());
}

namespace {

Status CheckEnvelope(const Envelope& e) {
  if (e.kind != kKindCertificate && e.kind != kKindEnrollment && e.kind != kKindRevocation &&
      e.kind != kKindRotation) {
    return Status::Corruption("envelope.kind: \"" + e.kind +
                              "\" is not a document kind (cert, enroll, revoke, rotate)");
  }
  if (e.signature.size() != crypto::kSignatureSize) {
    return Status::Corruption("envelope.signature: " + std::to_string(e.signature.size()) +
                              " bytes, must be 64");
  }
  if (e.kind == kKindRotation && e.new_key_signature.size() != crypto::kSignatureSize) {
    return Status::Corruption(
        "envelope.newKeySignature: " + std::to_string(e.new_key_signature.size()) +
        " bytes, a rotation statement needs 64");
  }
  return Status::Ok();
}

Result<Envelope> ReadEnvelope(cp::Envelope::Reader r) {
  Envelope e;
  e.kind.assign(r.getKind().cStr(), r.getKind().size());
  auto body = r.getBody();
  e.body.assign(body.begin(), body.end());
  auto sig = r.getSignature();
  e.signature.assign(sig.begin(), sig.end());
  auto nk = r.getNewKeySignature();
  e.new_key_signature.assign(nk.begin(), nk.end());
  OUTPOST_RETURN_IF_ERROR(CheckEnvelope(e));
  return e;
}

void WriteEnvelope(cp::Envelope::Builder b, const Envelope& e) {
  b.setKind(AsText(e.kind));
  b.setBody(AsKj(e.body));
  b.setSignature(AsKj(e.signature));
  if (!e.new_key_signature.empty()) b.setNewKeySignature(AsKj(e.new_key_signature));
}

// Decodes a framed (messageToFlatArray) message of untrusted bytes.
template <typename T, typename Fn>
Status ReadFramed(std::span<const uint8_t> bytes, const char* what, Fn&& read) {
  if (bytes.empty() || bytes.size() % 8 != 0 || bytes.size() > 4 * kMaxDocumentBytes) {
    return Status::Corruption(std::string(what) + ": " + std::to_string(bytes.size()) +
                              " bytes is not a whole number of 8-byte words under 256 KiB");
  }
  Status inner;
  kj::Maybe<kj::Exception> err = kj::runCatchingExceptions([&]() {
    auto words = kj::heapArray<capnp::word>(bytes.size() / sizeof(capnp::word));
    std::memcpy(words.begin(), bytes.data(), bytes.size());
    capnp::FlatArrayMessageReader reader(words, Limits(bytes.size()));
    inner = read(reader.getRoot<T>());
  });
  KJ_IF_MAYBE (e, err) {
    return Status::Corruption(std::string(what) + ": " + e->getDescription().cStr());
  }
  return inner.WithContext(what);
}

}  // namespace

Result<Envelope> DecodeEnvelope(std::span<const uint8_t> bytes) {
  Envelope out;
  OUTPOST_RETURN_IF_ERROR(
      ReadFramed<cp::Envelope>(bytes, "signed document", [&](cp::Envelope::Reader r) -> Status {
        OUTPOST_ASSIGN_OR_RETURN(out, ReadEnvelope(r));
        return Status::Ok();
      }));
  return out;
}

Bytes EncodeCertificateFile(const CertificateFile& f) {
  capnp::MallocMessageBuilder msg;
  auto b = msg.initRoot<cp::CertificateFile>();
  WriteEnvelope(b.initCertificate(), f.certificate);
  WriteEnvelope(b.initHqCertificate(), f.hq_certificate);
  auto words = capnp::messageToFlatArray(msg);
  auto bytes = words.asBytes();
  return Bytes(bytes.begin(), bytes.end());
}

Result<CertificateFile> DecodeCertificateFile(std::span<const uint8_t> bytes) {
  CertificateFile out;
  OUTPOST_RETURN_IF_ERROR(ReadFramed<cp::CertificateFile>(
      bytes, "certificate file", [&](cp::CertificateFile::Reader r) -> Status {
        if (!r.hasCertificate() || !r.hasHqCertificate()) {
          return Status::Corruption("certificate or hqCertificate missing");
        }
        OUTPOST_ASSIGN_OR_RETURN(out.certificate, ReadEnvelope(r.getCertificate()));
        OUTPOST_ASSIGN_OR_RETURN(out.hq_certificate, ReadEnvelope(r.getHqCertificate()));
        if (out.certificate.kind != kKindCertificate ||
            out.hq_certificate.kind != kKindCertificate) {
          return Status::Corruption("both documents must be certificates");
        }
        return Status::Ok();
      }));
  return out;
}

// ---- Certificates ----------------------------------------------------------

Envelope SignCertificate(Certificate cert, const crypto::SigningKey& hq) {
  cert.hq_signing_key = hq.PublicKey().bytes();
  capnp::MallocMessageBuilder msg;
  auto b = msg.initRoot<cp::NodeCertificate>();
  b.setNodeId(AsKj(cert.node_id));
  b.setName(AsText(cert.name));
  b.setRole(ToCp(cert.role));
  b.setSite(AsText(cert.site));
  b.setSigningKey(AsKj(cert.signing_key));
  b.setKxKey(AsKj(cert.kx_key));
  b.setEpoch(cert.epoch);
  b.setValidFrom(cert.valid_from);
  b.setValidUntil(cert.valid_until);
  SetTextList(b.initReadScopes(static_cast<unsigned>(cert.read_scopes.size())), cert.read_scopes);
  SetTextList(b.initWriteScopes(static_cast<unsigned>(cert.write_scopes.size())),
              cert.write_scopes);
  b.setHqSigningKey(AsKj(cert.hq_signing_key));
  b.setHqAddress(AsText(cert.hq_address));
  Envelope e;
  e.kind = std::string(kKindCertificate);
  e.body = Canonical(b.asReader());
  e.signature = Sign(kKindCertificate, e.body, hq);
  return e;
}

Result<Certificate> DecodeCertificate(std::span<const uint8_t> body) {
  Certificate c;
  OUTPOST_RETURN_IF_ERROR(
      ReadCanonical<cp::NodeCertificate>(body, "certificate", [&](cp::NodeCertificate::Reader r) {
        CopyFixed(r.getNodeId(), &c.node_id, "nodeId");
        c.name.assign(r.getName().cStr(), r.getName().size());
        c.role = FromCp(r.getRole());
        c.site.assign(r.getSite().cStr(), r.getSite().size());
        CopyFixed(r.getSigningKey(), &c.signing_key, "signingKey");
        CopyFixed(r.getKxKey(), &c.kx_key, "kxKey");
        c.epoch = r.getEpoch();
        c.valid_from = r.getValidFrom();
        c.valid_until = r.getValidUntil();
        c.read_scopes = TextList(r.getReadScopes());
        c.write_scopes = TextList(r.getWriteScopes());
        CopyFixed(r.getHqSigningKey(), &c.hq_signing_key, "hqSigningKey");
        c.hq_address.assign(r.getHqAddress().cStr(), r.getHqAddress().size());
      }));
  if (c.epoch == 0) return Status::Corruption("certificate.epoch: 0 is not an epoch (from 1)");
  if (c.valid_until <= c.valid_from) {
    return Status::Corruption("certificate.validUntil: not after validFrom");
  }
  return c;
}

Result<Certificate> OpenCertificate(const Envelope& e, const crypto::VerifyKey& hq) {
  OUTPOST_RETURN_IF_ERROR(CheckKind(e, kKindCertificate));
  OUTPOST_RETURN_IF_ERROR(VerifyWith(hq, kKindCertificate, e.body, e.signature, "the HQ key"));
  OUTPOST_ASSIGN_OR_RETURN(Certificate c, DecodeCertificate(e.body));
  if (c.hq_signing_key != hq.bytes()) {
    return Status::Unauthenticated("certificate.hqSigningKey: names HQ key " +
                                   crypto::Fingerprint(c.hq_signing_key) + ", not " +
                                   crypto::Fingerprint(hq.bytes()));
  }
  return c;
}

// ---- Enrollment requests ---------------------------------------------------

Envelope SignEnrollmentRequest(const EnrollmentRequest& req, const crypto::SigningKey& own) {
  capnp::MallocMessageBuilder msg;
  auto b = msg.initRoot<cp::EnrollmentRequest>();
  b.setNodeId(AsKj(req.node_id));
  b.setName(AsText(req.name));
  b.setRole(ToCp(req.role));
  b.setSite(AsText(req.site));
  b.setSigningKey(AsKj(req.signing_key));
  b.setKxKey(AsKj(req.kx_key));
  b.setTime(req.time);
  Envelope e;
  e.kind = std::string(kKindEnrollment);
  e.body = Canonical(b.asReader());
  e.signature = Sign(kKindEnrollment, e.body, own);
  return e;
}

Result<EnrollmentRequest> OpenEnrollmentRequest(const Envelope& e) {
  OUTPOST_RETURN_IF_ERROR(CheckKind(e, kKindEnrollment));
  EnrollmentRequest q;
  OUTPOST_RETURN_IF_ERROR(ReadCanonical<cp::EnrollmentRequest>(
      e.body, "enrollment request", [&](cp::EnrollmentRequest::Reader r) {
        CopyFixed(r.getNodeId(), &q.node_id, "nodeId");
        q.name.assign(r.getName().cStr(), r.getName().size());
        q.role = FromCp(r.getRole());
        q.site.assign(r.getSite().cStr(), r.getSite().size());
        CopyFixed(r.getSigningKey(), &q.signing_key, "signingKey");
        CopyFixed(r.getKxKey(), &q.kx_key, "kxKey");
        q.time = r.getTime();
      }));
  OUTPOST_RETURN_IF_ERROR(VerifyWith(crypto::VerifyKey(q.signing_key), kKindEnrollment, e.body,
                                     e.signature, "the key the request names"));
  return q;
}

// ---- Revocations -----------------------------------------------------------

Envelope SignRevocation(const Revocation& rev, const crypto::SigningKey& hq) {
  capnp::MallocMessageBuilder msg;
  auto b = msg.initRoot<cp::Revocation>();
  b.setNodeId(AsKj(rev.node_id));
  b.setEpoch(rev.epoch);
  b.setReason(AsText(rev.reason));
  b.setTime(rev.time);
  Envelope e;
  e.kind = std::string(kKindRevocation);
  e.body = Canonical(b.asReader());
  e.signature = Sign(kKindRevocation, e.body, hq);
  return e;
}

Result<Revocation> OpenRevocation(const Envelope& e, const crypto::VerifyKey& hq) {
  OUTPOST_RETURN_IF_ERROR(CheckKind(e, kKindRevocation));
  OUTPOST_RETURN_IF_ERROR(VerifyWith(hq, kKindRevocation, e.body, e.signature, "the HQ key"));
  Revocation v;
  OUTPOST_RETURN_IF_ERROR(
      ReadCanonical<cp::Revocation>(e.body, "revocation", [&](cp::Revocation::Reader r) {
        CopyFixed(r.getNodeId(), &v.node_id, "nodeId");
        v.epoch = r.getEpoch();
        v.reason.assign(r.getReason().cStr(), r.getReason().size());
        v.time = r.getTime();
      }));
  return v;
}

// ---- Rotation --------------------------------------------------------------

Envelope SignRotation(const RotationStatement& rot, const crypto::SigningKey& current,
                      const crypto::SigningKey& next) {
  capnp::MallocMessageBuilder msg;
  auto b = msg.initRoot<cp::RotationStatement>();
  b.setNodeId(AsKj(rot.node_id));
  b.setOldEpoch(rot.old_epoch);
  b.setNewSigningKey(AsKj(rot.new_signing_key));
  b.setNewKxKey(AsKj(rot.new_kx_key));
  b.setTime(rot.time);
  if (!rot.kx_proof.empty()) b.setKxProof(AsKj(rot.kx_proof));
  Envelope e;
  e.kind = std::string(kKindRotation);
  e.body = Canonical(b.asReader());
  e.signature = Sign(kKindRotation, e.body, current);
  e.new_key_signature = Sign(kKindRotation, e.body, next);
  return e;
}

Result<RotationStatement> DecodeRotation(std::span<const uint8_t> body) {
  RotationStatement s;
  OUTPOST_RETURN_IF_ERROR(ReadCanonical<cp::RotationStatement>(
      body, "rotation statement", [&](cp::RotationStatement::Reader r) {
        CopyFixed(r.getNodeId(), &s.node_id, "nodeId");
        s.old_epoch = r.getOldEpoch();
        CopyFixed(r.getNewSigningKey(), &s.new_signing_key, "newSigningKey");
        CopyFixed(r.getNewKxKey(), &s.new_kx_key, "newKxKey");
        s.time = r.getTime();
        auto proof = r.getKxProof();
        s.kx_proof.assign(proof.begin(), proof.end());
      }));
  return s;
}

Bytes RotationKxContext(const RotationStatement& rot) {
  const std::string_view tag = "outpost-rotate-kx-v1";
  Bytes out(tag.begin(), tag.end());
  out.insert(out.end(), rot.node_id.begin(), rot.node_id.end());
  PutVarint(out, rot.old_epoch);
  out.insert(out.end(), rot.new_signing_key.begin(), rot.new_signing_key.end());
  out.insert(out.end(), rot.new_kx_key.begin(), rot.new_kx_key.end());
  PutVarint(out, static_cast<uint64_t>(rot.time));
  return out;
}

Result<Bytes> RotationKxProof(const RotationStatement& rot, const crypto::KxKeyPair& own,
                              const crypto::PublicKeyBytes& peer_kx) {
  OUTPOST_ASSIGN_OR_RETURN(crypto::Hash tag,
                           crypto::KxPossessionTag(own, peer_kx, RotationKxContext(rot)));
  return Bytes(tag.begin(), tag.end());
}

Result<RotationStatement> OpenRotation(const Envelope& e, const crypto::VerifyKey& current) {
  OUTPOST_RETURN_IF_ERROR(CheckKind(e, kKindRotation));
  OUTPOST_RETURN_IF_ERROR(
      VerifyWith(current, kKindRotation, e.body, e.signature, "the node's current key"));
  OUTPOST_ASSIGN_OR_RETURN(RotationStatement s, DecodeRotation(e.body));
  OUTPOST_RETURN_IF_ERROR(VerifyWith(crypto::VerifyKey(s.new_signing_key), kKindRotation, e.body,
                                     e.new_key_signature, "the new key it names"));
  return s;
}

}  // namespace outpost::node
