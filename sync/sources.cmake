# The CRDT (docs/crdt.md): clock, batch format (compression.cc: zstd bodies,
# docs/protocol.md "Compression"; dictionary.cc: structure dictionaries),
# column versions, the replica
# (replica.cc: open, indexes, pruning, compaction, extraction, digest;
# writer.cc: local writes; replica_merge.cc; replica_seal.cc;
# replica_schema.cc: the store's tables and upgrades), the batch log and
# version vector SQL (batch_log.cc), the pending names (pending_names.cc),
# the change journal (change_journal.cc),
# live-row views.
list(APPEND SYNC_SOURCES
  ${CMAKE_CURRENT_SOURCE_DIR}/hlc.cc
  ${CMAKE_CURRENT_SOURCE_DIR}/change_batch.cc
  ${CMAKE_CURRENT_SOURCE_DIR}/compression.cc
  ${CMAKE_CURRENT_SOURCE_DIR}/dictionary.cc
  ${CMAKE_CURRENT_SOURCE_DIR}/column_versions.cc
  ${CMAKE_CURRENT_SOURCE_DIR}/version_vector.cc
  ${CMAKE_CURRENT_SOURCE_DIR}/pending_names.cc
  ${CMAKE_CURRENT_SOURCE_DIR}/row_sql.cc
  ${CMAKE_CURRENT_SOURCE_DIR}/batch_log.cc
  ${CMAKE_CURRENT_SOURCE_DIR}/change_journal.cc
  ${CMAKE_CURRENT_SOURCE_DIR}/replica.cc
  ${CMAKE_CURRENT_SOURCE_DIR}/replica_schema.cc
  ${CMAKE_CURRENT_SOURCE_DIR}/writer.cc
  ${CMAKE_CURRENT_SOURCE_DIR}/replica_merge.cc
  ${CMAKE_CURRENT_SOURCE_DIR}/replica_seal.cc
  ${CMAKE_CURRENT_SOURCE_DIR}/live_rows.cc)
# The sync protocol (docs/protocol.md): framing, messages, session, ledger,
# transport, bundles.
list(APPEND SYNC_SOURCES
  ${CMAKE_CURRENT_SOURCE_DIR}/frame.cc
  ${CMAKE_CURRENT_SOURCE_DIR}/wire.cc
  ${CMAKE_CURRENT_SOURCE_DIR}/peer_ledger.cc
  ${CMAKE_CURRENT_SOURCE_DIR}/session.cc
  ${CMAKE_CURRENT_SOURCE_DIR}/transport.cc
  ${CMAKE_CURRENT_SOURCE_DIR}/bundle.cc)
