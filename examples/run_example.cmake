# SPDX-License-Identifier: MIT
# Runs an example (or a server piped into its client) and checks its output.
#   cmake -DPROGRAM=exe [-DSERVER=exe] [-DWRAP=wine64] -DEXPECT=file [-DFILTER=regex]
#         -P run_example.cmake
# SERVER's stdout (its port) is PROGRAM's stdin. WRAP runs both (Wine for the
# mingw builds). EXPECT holds one regular expression per line; the output
# (only its lines matching FILTER, when given) must have as many lines, each
# matching its expression. Every process must exit 0.
set(cmds)
if(SERVER)
  list(APPEND cmds COMMAND ${WRAP} ${SERVER})
endif()
list(APPEND cmds COMMAND ${WRAP} ${PROGRAM})
execute_process(${cmds} OUTPUT_VARIABLE out ERROR_VARIABLE err RESULTS_VARIABLE rcs TIMEOUT 120)
message("${out}")
if(err)
  message("stderr:\n${err}")
endif()
foreach(rc IN LISTS rcs)
  if(NOT rc STREQUAL "0")
    message(FATAL_ERROR "exit codes: ${rcs}")
  endif()
endforeach()
string(REPLACE "\r" "" out "${out}")
string(REGEX REPLACE "\n$" "" out "${out}")
string(REPLACE ";" "," out "${out}")
string(REPLACE "\n" ";" lines "${out}")
if(FILTER)
  list(FILTER lines INCLUDE REGEX "${FILTER}")
endif()
file(STRINGS ${EXPECT} want)
list(LENGTH lines n)
list(LENGTH want m)
if(NOT n EQUAL m)
  message(FATAL_ERROR "${n} lines of output, ${m} expected")
endif()
math(EXPR last "${m} - 1")
foreach(i RANGE ${last})
  list(GET lines ${i} line)
  list(GET want ${i} re)
  if(NOT line MATCHES "^${re}$")
    message(FATAL_ERROR "line ${i}: '${line}' does not match '${re}'")
  endif()
endforeach()
