// replaced by the CRDT
