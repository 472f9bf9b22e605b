# Sources of outpost_schema beyond catalogue.cc (included by CMakeLists.txt).
list(APPEND SCHEMA_SOURCES
     ${CMAKE_CURRENT_SOURCE_DIR}/codes.cc
     ${CMAKE_CURRENT_SOURCE_DIR}/validators.cc
     ${CMAKE_CURRENT_SOURCE_DIR}/domain_catalogue.cc
     ${CMAKE_CURRENT_SOURCE_DIR}/row_json.cc)
