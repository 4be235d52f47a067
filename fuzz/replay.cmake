# Replay executables for the fuzz targets: each target's source linked with
# fuzz/replay_main.cc instead of libFuzzer, so any compiler (gcc included)
# builds them. Including this file defines <target>_replay for every target
# and registers one ctest per target that replays the target's seeds and
# every regression input:
#   fuzz_replay_<target>: <target>_replay corpus/seeds/<target> corpus/regressions
# (LABELS fuzz). Include it from a directory where enable_testing() is on.
include_guard(GLOBAL)

set(STGUARD_FUZZ_DIR ${CMAKE_CURRENT_LIST_DIR})
set(STGUARD_FUZZ_TARGETS fuzz_check fuzz_policies fuzz_paths fuzz_header fuzz_structured fuzz_policy fuzz_stream fuzz_index
    fuzz_walk fuzz_manifest fuzz_pickle fuzz_capi
    fuzz_remote_response)

if(NOT TARGET stguard_fuzz_common_replay)
  add_library(stguard_fuzz_common_replay STATIC ${STGUARD_FUZZ_DIR}/fuzz_common.cc
              ${STGUARD_FUZZ_DIR}/fuzz_files.cc)
  target_include_directories(stguard_fuzz_common_replay PUBLIC ${STGUARD_FUZZ_DIR}
                             ${STGUARD_FUZZ_DIR}/../validator/src)
  target_link_libraries(stguard_fuzz_common_replay PUBLIC stguard_core)
endif()

# stguard_add_fuzz_replay(<target>): builds <target>_replay and its ctest.
function(stguard_add_fuzz_replay target)
  if(TARGET ${target}_replay)
    return()
  endif()
  add_executable(${target}_replay ${STGUARD_FUZZ_DIR}/${target}.cc
                 ${STGUARD_FUZZ_DIR}/replay_main.cc)
  target_compile_definitions(${target}_replay PRIVATE STGUARD_FUZZ_TARGET_NAME="${target}")
  target_link_libraries(${target}_replay PRIVATE stguard_fuzz_common_replay stguard_core)
  # fuzz_policies takes the same inputs as fuzz_check, fuzz_capi as
  # fuzz_stream: they share their seeds.
  set(seeds ${target})
  if(target STREQUAL "fuzz_policies")
    set(seeds fuzz_check)
  elseif(target STREQUAL "fuzz_capi")
    set(seeds fuzz_stream)
  endif()
  if(target STREQUAL "fuzz_manifest")
    target_link_libraries(${target}_replay PRIVATE stguard_cli_manifest)
  endif()
  if(target STREQUAL "fuzz_remote_response")
    target_link_libraries(${target}_replay PRIVATE stguard_remote_parse)
  endif()
  add_test(NAME fuzz_replay_${target}
           COMMAND ${target}_replay ${PROJECT_SOURCE_DIR}/corpus/seeds/${seeds}
                   ${PROJECT_SOURCE_DIR}/corpus/regressions)
  set_tests_properties(fuzz_replay_${target} PROPERTIES LABELS fuzz)
endfunction()

foreach(target IN LISTS STGUARD_FUZZ_TARGETS)
  stguard_add_fuzz_replay(${target})
endforeach()
