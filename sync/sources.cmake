list(APPEND SYNC_SOURCES
  ${CMAKE_CURRENT_SOURCE_DIR}/hlc.cc
  ${CMAKE_CURRENT_SOURCE_DIR}/change_batch.cc
  ${CMAKE_CURRENT_SOURCE_DIR}/column_versions.cc
  ${CMAKE_CURRENT_SOURCE_DIR}/replica.cc
  ${CMAKE_CURRENT_SOURCE_DIR}/live_rows.cc)
# The sync protocol (docs/protocol.md): framing, messages, session, ledger,
# transport, bundles.
list(APPEND SYNC_SOURCES
  ${CMAKE_CURRENT_SOURCE_DIR}/frame.cc
  ${CMAKE_CURRENT_SOURCE_DIR}/wire.cc
  ${CMAKE_CURRENT_SOURCE_DIR}/peer_ledger.cc
  ${CMAKE_CURRENT_SOURCE_DIR}/session.cc)
list(APPEND SYNC_SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/transport.cc)
list(APPEND SYNC_SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/bundle.cc)
