# Node identity documents: certificates, enrollment requests, revocations and
# rotation statements. Format, signing rule and trust model: docs/keys.md.
# Field numbers never change.
#
# Every document travels inside an Envelope. `body` is the canonical
# Cap'n Proto encoding (capnp::canonicalize) of the document named by `kind`,
# and `signature` is Ed25519 over
#     "outpost-" || kind || "-v1" || 0x00 || body
# so a signature over one kind of document can never be replayed as another.
# Verifiers check the signature over the exact stored body bytes, then decode
# them; they never re-encode.
@0x9329b4f971aa5b0c;

$import "/capnp/c++.capnp".namespace("outpost::schema::capnp");

enum NodeRole {
  hq @0;
  site @1;
}

# Issued by HQ: who a node is, its keys for one epoch, and what it may do.
# Signed by HQ's signing key (kind "cert"). HQ's own certificate is
# self-signed and is what sites pin (by its fingerprint).
struct NodeCertificate {
  nodeId @0 :Data;          # 16 bytes
  name @1 :Text;
  role @2 :NodeRole;
  site @3 :Text;            # "BA-GRA"; "HQ" for the HQ node
  signingKey @4 :Data;      # Ed25519 public, 32 bytes
  kxKey @5 :Data;           # X25519 public, 32 bytes
  epoch @6 :UInt32;         # 1 at enrollment, +1 per rotation
  validFrom @7 :Int64;      # microseconds since the Unix epoch, UTC
  validUntil @8 :Int64;
  readScopes @9 :List(Text);   # "shared", "site:BA-GRA"; "*" = every scope
  writeScopes @10 :List(Text);
  hqSigningKey @11 :Data;   # the key that signed this certificate
  hqAddress @12 :Text;      # "host:port" where HQ listens; may be empty
}

# Made by a node that wants a certificate (kind "enroll"); signed by the
# requester's own signing key: proof that it holds the key it names.
struct EnrollmentRequest {
  nodeId @0 :Data;
  name @1 :Text;
  role @2 :NodeRole;
  site @3 :Text;
  signingKey @4 :Data;
  kxKey @5 :Data;
  time @6 :Int64;
}

# HQ withdraws a node's certificate (kind "revoke"); signed by HQ. Changes
# the node made after `time` are quarantined, not merged.
struct Revocation {
  nodeId @0 :Data;
  epoch @1 :UInt32;         # the epoch current when revoked
  reason @2 :Text;
  time @3 :Int64;
}

# A node replaces its keys (kind "rotate"). Signed by the current signing key
# (envelope.signature) and by the new one (envelope.newKeySignature, proof of
# possession of the new signing key). kxProof proves possession of the new
# key-exchange key to HQ (docs/keys.md, "Rotation"): crypto::KxPossessionTag
# of the new X25519 key and HQ's, over node/keys.h RotationKxContext.
struct RotationStatement {
  nodeId @0 :Data;
  oldEpoch @1 :UInt32;
  newSigningKey @2 :Data;
  newKxKey @3 :Data;
  time @4 :Int64;
  kxProof @5 :Data;         # 32 bytes
}

struct Envelope {
  kind @0 :Text;            # "cert", "enroll", "revoke", "rotate"
  body @1 :Data;
  signature @2 :Data;       # 64 bytes
  newKeySignature @3 :Data; # "rotate" only: 64 bytes
}

# What `outpost keys enroll` writes and `outpost keys install` reads: the
# node's certificate and HQ's self-signed certificate (HQ's keys and address).
struct CertificateFile {
  certificate @0 :Envelope;
  hqCertificate @1 :Envelope;
}
