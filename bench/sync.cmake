add_executable(sync_bench ${CMAKE_CURRENT_SOURCE_DIR}/sync_bench.cc)
target_link_libraries(sync_bench PRIVATE outpost_sync outpost_fault_proxy)
