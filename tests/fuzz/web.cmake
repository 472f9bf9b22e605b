# Fuzz targets of outpost_web (included by tests/fuzz/CMakeLists.txt).
outpost_add_fuzzer(web_request SOURCE ${CMAKE_CURRENT_SOURCE_DIR}/fuzz_web_request.cc
                   LIBS outpost_web)
