# SPDX-License-Identifier: MIT
# Installs the build tree into a private prefix and checks the tool's files.
file(REMOVE_RECURSE ${PREFIX})
execute_process(COMMAND ${CMAKE_COMMAND} --install ${BUILD_DIR} --prefix ${PREFIX}
                RESULT_VARIABLE rc OUTPUT_QUIET)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "cmake --install failed: ${rc}")
endif()
foreach(f ${BINDIR}/wsp ${MANDIR}/man1/wsp.1)
  if(NOT EXISTS ${PREFIX}/${f})
    message(FATAL_ERROR "not installed: ${f}")
  endif()
endforeach()
file(READ ${PREFIX}/${MANDIR}/man1/wsp.1 man)
if(NOT man MATCHES "\\.TH WSP 1" OR NOT man MATCHES "EXIT STATUS")
  message(FATAL_ERROR "wsp.1 is not the wsp man page")
endif()
# The installed binary must run without LD_LIBRARY_PATH.
execute_process(COMMAND ${PREFIX}/${BINDIR}/wsp --help RESULT_VARIABLE rc OUTPUT_VARIABLE out)
if(NOT rc EQUAL 0 OR NOT out MATCHES "Usage: wsp COMMAND")
  message(FATAL_ERROR "installed wsp --help failed (${rc}): ${out}")
endif()
file(REMOVE_RECURSE ${PREFIX})
