add_executable(volumes_bench ${CMAKE_CURRENT_SOURCE_DIR}/volumes_bench.cc)
target_link_libraries(volumes_bench PRIVATE outpost_web)
