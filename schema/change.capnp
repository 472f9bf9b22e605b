# Change records: what one origin node changed, in one signed batch.
# Format and invariants: docs/crdt.md. Field numbers never change.
@0xff736ac310cb8d7c;

$import "/capnp/c++.capnp".namespace("outpost::schema::capnp");

struct Value {
  union {
    null @0 :Void;
    int @1 :Int64;
    real @2 :Float64;
    text @3 :Text;
    blob @4 :Data;
  }
}

# One column's new value, stamped with the writer's hybrid logical clock.
struct ColumnChange {
  column @0 :UInt16;   # stable column id from the catalogue
  hlc @1 :UInt64;      # 48-bit Unix ms << 16 | 16-bit logical counter
  value @2 :Value;
}

# The changes to one row in one batch (coalesced: latest value per column).
struct RowChange {
  table @0 :UInt16;    # stable table id
  id @1 :Data;         # 16-byte UUIDv7 primary key
  causalLength @2 :UInt32;  # odd = exists, even = deleted; merge takes the max
  columns @3 :List(ColumnChange);
}

# The signed unit: batch `seq` of (origin, scope), chained to the previous one.
struct ChangeBatch {
  origin @0 :Data;        # 16-byte node id of the author
  scope @1 :Text;         # "shared" or "site:CODE"
  seq @2 :UInt64;         # 1, 2, 3, ... per (origin, scope), no gaps
  prevHash @3 :Data;      # BLAKE2b-256 of batch seq-1's body (32 zero bytes for seq 1)
  schemaVersion @4 :UInt32;
  hlc @5 :UInt64;         # the writer's clock when the batch was made
  rows @6 :List(RowChange);
}

# What travels and is stored: the exact body bytes and the author's signature
# over them (Ed25519 over "outpost-batch-v1" || body).
struct SignedBatch {
  body @0 :Data;
  signature @1 :Data;
}
