# SPDX-License-Identifier: MIT
# The pure connection state machine: a static library of its own, so unit tests
# and fuzzers (tests/fuzz/itot_conn) link it with the codec and nothing else.
add_library(wsp_itot_conn STATIC
  ${CMAKE_CURRENT_LIST_DIR}/conn.c
  ${CMAKE_CURRENT_LIST_DIR}/conn_input.c
  ${CMAKE_CURRENT_LIST_DIR}/conn_store.c
  ${CMAKE_CURRENT_LIST_DIR}/conn_ring.c
  ${CMAKE_CURRENT_LIST_DIR}/conn_pool.c)
target_include_directories(wsp_itot_conn PUBLIC ${CMAKE_CURRENT_LIST_DIR}
                                                ${CMAKE_SOURCE_DIR}/include)
target_link_libraries(wsp_itot_conn PUBLIC wsp_itot_codec)
