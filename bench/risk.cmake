add_executable(risk_bench ${CMAKE_CURRENT_SOURCE_DIR}/risk_bench.cc)
target_link_libraries(risk_bench PRIVATE outpost_risk)
