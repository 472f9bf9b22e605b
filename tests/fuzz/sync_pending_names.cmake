outpost_add_fuzzer(pending_names SOURCE ${CMAKE_CURRENT_SOURCE_DIR}/fuzz_pending_names.cc
                   LIBS outpost_sync)
