# SPDX-License-Identifier: MIT
# The clause tests and their harness: one list for the two builds of the same
# sources, `wsp conformance` (tools/wsp) and the cmocka ctest programs
# (tests/conformance/common, with CONF_WITH_CMOCKA).
set(WSP_CONF_DIR ${CMAKE_CURRENT_LIST_DIR})
set(WSP_CONF_SOURCES
  ${WSP_CONF_DIR}/sd_tests.c ${WSP_CONF_DIR}/ovl_tests.c ${WSP_CONF_DIR}/spi.c ${WSP_CONF_DIR}/spi_ovl.c ${WSP_CONF_DIR}/util.c ${WSP_CONF_DIR}/fault.c)
