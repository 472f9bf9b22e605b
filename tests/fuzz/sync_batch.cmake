outpost_add_fuzzer(change_batch SOURCE ${CMAKE_CURRENT_SOURCE_DIR}/fuzz_change_batch.cc
                   LIBS outpost_sync)
