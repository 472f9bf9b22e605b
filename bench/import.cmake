add_executable(import_bench ${CMAKE_CURRENT_SOURCE_DIR}/import_bench.cc)
target_link_libraries(import_bench PRIVATE outpost_node)
