add_executable(crdt_bench ${CMAKE_CURRENT_SOURCE_DIR}/crdt_bench.cc)
target_link_libraries(crdt_bench PRIVATE outpost_sync)
