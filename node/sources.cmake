list(APPEND NODE_SOURCES
  ${CMAKE_CURRENT_SOURCE_DIR}/store.cc
  ${CMAKE_CURRENT_SOURCE_DIR}/audit.cc
  ${CMAKE_CURRENT_SOURCE_DIR}/records.cc
  ${CMAKE_CURRENT_SOURCE_DIR}/movement_file.cc
  ${CMAKE_CURRENT_SOURCE_DIR}/record_movement.cc
  ${CMAKE_CURRENT_SOURCE_DIR}/search.cc
  ${CMAKE_CURRENT_SOURCE_DIR}/lane.cc
  ${CMAKE_CURRENT_SOURCE_DIR}/simulate.cc)
# Keys, certificates, registry, trust policy (docs/keys.md).
list(APPEND NODE_SOURCES
  ${CMAKE_CURRENT_SOURCE_DIR}/keys.cc
  ${CMAKE_CURRENT_SOURCE_DIR}/registry.cc
  ${CMAKE_CURRENT_SOURCE_DIR}/trust.cc)
# Sync wiring: sessions, daemon, bundles, transfer log (docs/protocol.md).
list(APPEND NODE_SOURCES
  ${CMAKE_CURRENT_SOURCE_DIR}/sync_service.cc)
