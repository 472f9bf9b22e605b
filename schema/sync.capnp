# The sync session's messages (docs/protocol.md). Each message travels in
# one Noise transport frame. Field numbers never change.
@0xc4e1a7d5b2f39a61;

$import "/capnp/c++.capnp".namespace("outpost::schema::capnp");

# One (origin, scope) -> seq entry, with the origin and scope given as
# indexes into the message's `origins` and `scopes` lists.
struct VvEntry {
  origin @0 :UInt16;
  scope @1 :UInt16;
  seq @2 :UInt64;
}

# A version vector in compact form: each node id and scope name once.
struct VersionVector {
  origins @0 :List(Data);   # 16-byte node ids
  scopes @1 :List(Text);
  entries @2 :List(VvEntry);
}

struct Hello {
  protocolVersion @0 :UInt32;
  nodeId @1 :Data;                 # 16 bytes; must be the authenticated peer
  versionVector @2 :VersionVector; # what the sender holds, without gaps
  scopesWanted @3 :List(Text);     # empty: everything the sender may read
  wallClockMicros @4 :Int64;       # for a skew warning only
  # Compressed batches this node reads (docs/protocol.md, "Compression");
  # absent in a Hello from a node built before them: it gets plain bodies.
  acceptsZstd @5 :Bool;
  zstdDictionaries @6 :List(UInt32); # dictionary ids this node holds
}

# Signed batches the receiver lacks, in chain order per (origin, scope).
# Each element is an encoded SignedBatch (change.capnp). The encoded
# message is at most 65519 bytes (one Noise frame).
struct Chunk {
  number @0 :UInt64;               # 1, 2, 3... per direction of a session
  batches @1 :List(Data);
}

# The receiver committed chunk `number`; `committed` holds the entries of
# its version vector that moved because of it.
struct Ack {
  number @0 :UInt64;
  committed @1 :VersionVector;
  refused @2 :UInt32;              # batches refused (signature, scope, ...)
}

# The sender has nothing more to send and all its chunks are acknowledged.
struct Done {}

struct Error {
  code @0 :UInt16;                 # outpost::Code
  reason @1 :Text;
}

# Initiator -> responder (a site to HQ), at most once, after its Hello: a
# key rotation waiting for its certificate (docs/keys.md). `statement` is
# the encoded Envelope of a RotationStatement (keys.capnp), signed by the
# node's current key and its new one.
struct Rotate {
  statement @0 :Data;
}

# Responder -> initiator, the answer to Rotate: code 0 and the certificate
# file (keys.capnp CertificateFile: the new certificate and HQ's) or a
# code (outpost::Code) and the reason it was refused. Either way the
# session goes on.
struct RotateReply {
  code @0 :UInt16;
  reason @1 :Text;
  certificateFile @2 :Data;
}

struct SessionMessage {
  union {
    hello @0 :Hello;
    chunk @1 :Chunk;
    ack @2 :Ack;
    done @3 :Done;
    error @4 :Error;
    rotate @5 :Rotate;
    rotateReply @6 :RotateReply;
  }
}

# The plaintext sealed inside a bundle file (docs/protocol.md, "Bundles").
struct BundlePayload {
  from @0 :Data;                   # 16-byte node id of the exporter
  to @1 :Data;                     # 16-byte node id of the recipient
  createdMicros @2 :Int64;
  senderVersionVector @3 :VersionVector;  # what the exporter held
  batches @4 :List(Data);          # encoded SignedBatch, chain order
}
