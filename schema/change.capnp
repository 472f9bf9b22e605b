# The signed envelope of a change batch. The batch body itself is a compact
# binary format (docs/crdt.md, "Change batch"), signed as exact bytes and
# relayed untouched. Field numbers never change.
@0xff736ac310cb8d7c;

$import "/capnp/c++.capnp".namespace("outpost::schema::capnp");

# What travels and is stored: the exact body bytes and the author's signature
# over them (Ed25519 over "outpost-batch-v1" || body).
struct SignedBatch {
  body @0 :Data;
  signature @1 :Data;
}
