outpost_add_fuzzer(sync_wire SOURCE ${CMAKE_CURRENT_SOURCE_DIR}/fuzz_sync_wire.cc
                   LIBS outpost_sync)
