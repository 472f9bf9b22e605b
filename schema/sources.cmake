# Sources of outpost_schema beyond catalogue.cc (included by CMakeLists.txt).
list(APPEND SCHEMA_SOURCES
     ${CMAKE_CURRENT_SOURCE_DIR}/codes.cc
     ${CMAKE_CURRENT_SOURCE_DIR}/validators.cc
     ${CMAKE_CURRENT_SOURCE_DIR}/domain_catalogue.cc
     ${CMAKE_CURRENT_SOURCE_DIR}/row_json.cc
     ${CMAKE_CURRENT_SOURCE_DIR}/mrz.cc
     ${CMAKE_CURRENT_SOURCE_DIR}/icao_codes.cc
     ${CMAKE_CURRENT_SOURCE_DIR}/document_input.cc
     ${CMAKE_CURRENT_SOURCE_DIR}/row_rules.cc)
