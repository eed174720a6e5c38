# SPDX-License-Identifier: MIT
# Shared by every tests/fuzz/<name>/CMakeLists.txt.
#
# wsp_add_fuzz(<name> SOURCES a.c... LIBS lib... [CORPUS dir])
#   - always: an executable replay_<name> (the target's sources + replay_main.c,
#     linked with the normal libraries) registered as ctest fuzz_<name>_corpus:
#     it feeds every file of the seed corpus to the fuzz entry point, so the
#     corpus runs in every build (gcc, ASan, TSan);
#   - with WSP_FUZZ=ON and clang: fuzz_<name>, a libFuzzer binary that compiles
#     the libraries' own sources again with -fsanitize=fuzzer,${WSP_FUZZ_SANITIZE}
#     (so the code under test carries coverage instrumentation without touching
#     how those libraries are built for everything else).
include_guard(GLOBAL)

# Absolute source paths of a static library target (SOURCES may be relative).
function(wsp_fuzz_target_sources out tgt)
  get_target_property(srcs ${tgt} SOURCES)
  get_target_property(dir ${tgt} SOURCE_DIR)
  set(abs)
  foreach(s ${srcs})
    if(IS_ABSOLUTE ${s})
      list(APPEND abs ${s})
    else()
      list(APPEND abs ${dir}/${s})
    endif()
  endforeach()
  set(${out} ${abs} PARENT_SCOPE)
endfunction()

function(wsp_add_fuzz name)
  cmake_parse_arguments(F "" "CORPUS" "SOURCES;LIBS" ${ARGN})
  if(NOT F_CORPUS)
    set(F_CORPUS ${CMAKE_CURRENT_SOURCE_DIR}/corpus)
  endif()
  set(incs ${CMAKE_SOURCE_DIR}/include ${CMAKE_SOURCE_DIR}/src ${CMAKE_SOURCE_DIR}/tests
           ${CMAKE_SOURCE_DIR}/src/providers/itot)

  add_executable(replay_${name} ${F_SOURCES} ${CMAKE_SOURCE_DIR}/tests/fuzz/replay_main.c)
  target_include_directories(replay_${name} PRIVATE ${incs})
  target_link_libraries(replay_${name} PRIVATE ${F_LIBS})
  add_test(NAME fuzz_${name}_corpus COMMAND replay_${name} ${F_CORPUS})
  set_tests_properties(fuzz_${name}_corpus PROPERTIES LABELS "fuzz;unit" TIMEOUT 300)

  if(WSP_FUZZ AND CMAKE_C_COMPILER_ID MATCHES "Clang")
    set(lib_srcs)
    foreach(lib ${F_LIBS})
      wsp_fuzz_target_sources(s ${lib})
      list(APPEND lib_srcs ${s})
    endforeach()
    list(REMOVE_DUPLICATES lib_srcs)
    add_executable(fuzz_${name} ${F_SOURCES} ${lib_srcs})
    target_include_directories(fuzz_${name} PRIVATE ${incs})
    target_compile_options(fuzz_${name} PRIVATE -fsanitize=fuzzer,${WSP_FUZZ_SANITIZE}
                                                -fno-sanitize-recover=all -fno-omit-frame-pointer)
    target_link_options(fuzz_${name} PRIVATE -fsanitize=fuzzer,${WSP_FUZZ_SANITIZE})
  endif()
endfunction()
