outpost_add_fuzzer(rules SOURCE ${CMAKE_CURRENT_SOURCE_DIR}/fuzz_rules.cc LIBS outpost_risk)
