# Risk engine sources, included from node/CMakeLists.txt (so
# CMAKE_CURRENT_SOURCE_DIR is node/).
set(RISK_SOURCES
    ${CMAKE_CURRENT_SOURCE_DIR}/risk/engine.cc
    ${CMAKE_CURRENT_SOURCE_DIR}/risk/eval.cc
    ${CMAKE_CURRENT_SOURCE_DIR}/risk/facts.cc
    ${CMAKE_CURRENT_SOURCE_DIR}/risk/lexer.cc
    ${CMAKE_CURRENT_SOURCE_DIR}/risk/normalise.cc
    ${CMAKE_CURRENT_SOURCE_DIR}/risk/parser.cc
    ${CMAKE_CURRENT_SOURCE_DIR}/risk/rule_index.cc
    ${CMAKE_CURRENT_SOURCE_DIR}/risk/validators.cc
    ${CMAKE_CURRENT_SOURCE_DIR}/risk/watchlist.cc
    # Distribution (signed rulesets in the shared scope), assessments, report.
    ${CMAKE_CURRENT_SOURCE_DIR}/risk/distribution.cc
    ${CMAKE_CURRENT_SOURCE_DIR}/risk/assessments.cc)
