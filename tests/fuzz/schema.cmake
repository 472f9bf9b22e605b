# Fuzz targets of outpost_schema (included by tests/fuzz/CMakeLists.txt).
outpost_add_fuzzer(record_json SOURCE ${CMAKE_CURRENT_SOURCE_DIR}/fuzz_record_json.cc
                   LIBS outpost_schema)
outpost_add_fuzzer(mrz SOURCE ${CMAKE_CURRENT_SOURCE_DIR}/fuzz_mrz.cc LIBS outpost_schema)
