# outpost_crypto sources (included by crypto/CMakeLists.txt).
set(CRYPTO_SOURCES
  ${CMAKE_CURRENT_SOURCE_DIR}/secret.cc
  ${CMAKE_CURRENT_SOURCE_DIR}/keys.cc
  ${CMAKE_CURRENT_SOURCE_DIR}/keystore.cc
  ${CMAKE_CURRENT_SOURCE_DIR}/aead.cc
  ${CMAKE_CURRENT_SOURCE_DIR}/noise.cc
)
