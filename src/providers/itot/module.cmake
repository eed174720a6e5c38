# SPDX-License-Identifier: MIT
# wsp_itot.so: the itot provider module (exports only WSPStartup).  It links
# the codec and the pure state machine statically, plus wsp_common.
add_library(wsp_itot MODULE
  ${CMAKE_CURRENT_LIST_DIR}/startup.c
  ${CMAKE_CURRENT_LIST_DIR}/sock.c
  ${CMAKE_CURRENT_LIST_DIR}/engine.c
  ${CMAKE_CURRENT_LIST_DIR}/timer_heap.c
  ${CMAKE_CURRENT_LIST_DIR}/listen.c
  ${CMAKE_CURRENT_LIST_DIR}/connect.c
  ${CMAKE_CURRENT_LIST_DIR}/accept_direct.c
  ${CMAKE_CURRENT_LIST_DIR}/fallback.c
  ${CMAKE_CURRENT_LIST_DIR}/data.c
  ${CMAKE_CURRENT_LIST_DIR}/overlapped.c
  ${CMAKE_CURRENT_LIST_DIR}/extension.c
  ${CMAKE_CURRENT_LIST_DIR}/options.c
  ${CMAKE_CURRENT_LIST_DIR}/events.c
  ${CMAKE_CURRENT_LIST_DIR}/address.c
  ${CMAKE_CURRENT_LIST_DIR}/waiter.c
  ${CMAKE_CURRENT_LIST_DIR}/conn_verify.c)
set_target_properties(wsp_itot PROPERTIES PREFIX "" LIBRARY_OUTPUT_DIRECTORY ${WSP_MODULE_DIR})
target_include_directories(wsp_itot PRIVATE ${CMAKE_SOURCE_DIR}/include ${CMAKE_SOURCE_DIR}/src
                                            ${CMAKE_CURRENT_LIST_DIR})
target_link_libraries(wsp_itot PRIVATE wsp_itot_conn wsp_common Threads::Threads)
install(TARGETS wsp_itot LIBRARY DESTINATION ${WSP_INSTALL_MODULE_DIR})
