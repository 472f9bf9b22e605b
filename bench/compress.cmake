add_executable(compress_bench ${CMAKE_CURRENT_SOURCE_DIR}/compress_bench.cc)
target_link_libraries(compress_bench PRIVATE outpost_node PkgConfig::zstd)
