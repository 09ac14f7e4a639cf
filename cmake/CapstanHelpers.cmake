# Target helpers: one declared target per folder (Abseil style).
#   capstan_cc_library(NAME n SRCS ... DEPS ...)   static library `capstan_<n>`
#   capstan_cc_test(NAME n SRCS ... DEPS ... [LABELS ...])  GoogleTest binary registered with ctest
#   capstan_plugin(NAME n SRCS ... DEPS ...)       MODULE .so exporting only the entry symbol
#   capstan_cc_binary(NAME n SRCS ... DEPS ...)

set(CAPSTAN_WARNINGS -Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor -Wcast-align
    -Wunused -Woverloaded-virtual -Wformat=2)
set(CAPSTAN_C_WARNINGS -Wall -Wextra -Wpedantic -Wshadow -Wstrict-prototypes)

function(capstan_apply_options target)
  get_target_property(_type ${target} TYPE)
  if(_type STREQUAL "INTERFACE_LIBRARY")
    return()
  endif()
  target_compile_options(${target} PRIVATE
    $<$<COMPILE_LANGUAGE:CXX>:${CAPSTAN_WARNINGS}>
    $<$<COMPILE_LANGUAGE:C>:${CAPSTAN_C_WARNINGS}>)
  if(CAPSTAN_WERROR)
    target_compile_options(${target} PRIVATE -Werror)
  endif()
  if(CAPSTAN_SANITIZE)
    # GCC's -Wmaybe-uninitialized reports false positives inside libstdc++ (std::regex,
    # std::function) once the sanitizers instrument the code; the plain build keeps the warning.
    target_compile_options(${target} PRIVATE -fsanitize=address,undefined -fno-omit-frame-pointer
                                             -fno-sanitize-recover=undefined
                                             $<$<CXX_COMPILER_ID:GNU>:-Wno-maybe-uninitialized>)
    target_link_options(${target} PRIVATE -fsanitize=address,undefined)
  endif()
endfunction()

function(capstan_cc_library)
  cmake_parse_arguments(A "" "NAME" "SRCS;HDRS;DEPS" ${ARGN})
  add_library(capstan_${A_NAME} STATIC ${A_SRCS} ${A_HDRS})
  target_include_directories(capstan_${A_NAME} PUBLIC ${PROJECT_SOURCE_DIR})
  target_link_libraries(capstan_${A_NAME} PUBLIC ${A_DEPS})
  capstan_apply_options(capstan_${A_NAME})
endfunction()

function(capstan_cc_binary)
  cmake_parse_arguments(A "" "NAME;OUTPUT" "SRCS;DEPS" ${ARGN})
  add_executable(${A_NAME} ${A_SRCS})
  target_include_directories(${A_NAME} PRIVATE ${PROJECT_SOURCE_DIR})
  target_link_libraries(${A_NAME} PRIVATE ${A_DEPS})
  capstan_apply_options(${A_NAME})
  if(A_OUTPUT)
    set_target_properties(${A_NAME} PROPERTIES OUTPUT_NAME ${A_OUTPUT})
  endif()
endfunction()

# Unit tests carry the label `unit`; the sanitizer build runs only those.
function(capstan_cc_test)
  cmake_parse_arguments(A "" "NAME" "SRCS;DEPS;LABELS;ENV" ${ARGN})
  add_executable(${A_NAME} ${A_SRCS})
  target_include_directories(${A_NAME} PRIVATE ${PROJECT_SOURCE_DIR})
  target_link_libraries(${A_NAME} PRIVATE ${A_DEPS} GTest::gtest GTest::gtest_main GTest::gmock
                                          Threads::Threads)
  capstan_apply_options(${A_NAME})
  set(_labels ${A_LABELS})
  if(NOT _labels)
    set(_labels unit)
  endif()
  # Unit tests of the core libraries also run in the sanitizer build (label `asan`, target
  # `asan_tests`); plugins and examples are covered by their own unit tests in the main build.
  file(RELATIVE_PATH _rel ${PROJECT_SOURCE_DIR} ${CMAKE_CURRENT_SOURCE_DIR})
  if(_labels STREQUAL "unit" AND _rel MATCHES "^tests/core/")
    list(APPEND _labels asan)
    set_property(GLOBAL APPEND PROPERTY CAPSTAN_ASAN_TESTS ${A_NAME})
  endif()
  add_test(NAME ${A_NAME} COMMAND ${A_NAME})
  set_tests_properties(${A_NAME} PROPERTIES LABELS "${_labels}" TIMEOUT 300)
  if(A_ENV)
    set_tests_properties(${A_NAME} PROPERTIES ENVIRONMENT "${A_ENV}")
  endif()
endfunction()

# A plugin is a MODULE library: hidden visibility, no undefined symbols, and a version script
# that exports only `capstan_plugin_entry`. Output lands in ${CAPSTAN_PLUGIN_DIR}/<kind>/.
set(CAPSTAN_PLUGIN_DIR ${PROJECT_BINARY_DIR}/plugins-out CACHE INTERNAL "")
function(capstan_plugin)
  cmake_parse_arguments(A "" "NAME;KIND" "SRCS;DEPS" ${ARGN})
  set(_t plugin_${A_KIND}_${A_NAME})
  add_library(${_t} MODULE ${A_SRCS})
  target_include_directories(${_t} PRIVATE ${PROJECT_SOURCE_DIR} ${PROJECT_SOURCE_DIR}/sdk/include)
  target_link_libraries(${_t} PRIVATE ${A_DEPS})
  set_target_properties(${_t} PROPERTIES
    PREFIX "" OUTPUT_NAME ${A_NAME}
    LIBRARY_OUTPUT_DIRECTORY ${CAPSTAN_PLUGIN_DIR}/${A_KIND}
    C_VISIBILITY_PRESET hidden CXX_VISIBILITY_PRESET hidden VISIBILITY_INLINES_HIDDEN ON)
  target_link_options(${_t} PRIVATE -Wl,--no-undefined
    -Wl,--version-script=${PROJECT_SOURCE_DIR}/cmake/plugin.map)
  capstan_apply_options(${_t})
endfunction()
