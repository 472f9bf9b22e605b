# Fuzz targets of outpost_crypto (included by tests/fuzz/CMakeLists.txt).
outpost_add_fuzzer(handshake SOURCE ${CMAKE_CURRENT_SOURCE_DIR}/fuzz_handshake.cc
                   LIBS outpost_crypto)
