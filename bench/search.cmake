add_executable(search_bench ${CMAKE_CURRENT_SOURCE_DIR}/search_bench.cc)
target_link_libraries(search_bench PRIVATE outpost_node)
