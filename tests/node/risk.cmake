outpost_add_test(risk_test SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/risk_test.cc
                 ${CMAKE_CURRENT_SOURCE_DIR}/risk_store_test.cc LIBS outpost_node)
