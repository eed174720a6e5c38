# SPDX-License-Identifier: MIT
# How wsp is consumed once installed: the CMake package (find_package(wsp
# CONFIG) -> wsp::wsp, wsp::wsp_static), an uninstall target, and CPack's
# Debian package.  pkg-config (wsp.pc) lives with libwsp in src/ws2.
include(CMakePackageConfigHelpers)

set(WSP_CMAKE_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/wsp)
install(EXPORT wspTargets NAMESPACE wsp:: DESTINATION ${WSP_CMAKE_DIR})
configure_package_config_file(${CMAKE_SOURCE_DIR}/cmake/wspConfig.cmake.in
                              ${CMAKE_BINARY_DIR}/wspConfig.cmake
                              INSTALL_DESTINATION ${WSP_CMAKE_DIR}
                              PATH_VARS WSP_INSTALL_MODULE_DIR)
write_basic_package_version_file(${CMAKE_BINARY_DIR}/wspConfigVersion.cmake
                                 COMPATIBILITY SameMinorVersion)
install(FILES ${CMAKE_BINARY_DIR}/wspConfig.cmake ${CMAKE_BINARY_DIR}/wspConfigVersion.cmake
        DESTINATION ${WSP_CMAKE_DIR})

# `cmake --build . --target uninstall` removes what the last install wrote.
if(NOT TARGET uninstall)
  configure_file(${CMAKE_SOURCE_DIR}/cmake/uninstall.cmake.in ${CMAKE_BINARY_DIR}/uninstall.cmake
                 @ONLY)
  add_custom_target(uninstall COMMAND ${CMAKE_COMMAND} -P ${CMAKE_BINARY_DIR}/uninstall.cmake)
endif()

# `cpack` in a build tree makes wsp_VERSION_ARCH.deb: library, modules, headers,
# pkg-config and CMake files, the wsp command and its man pages.
set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME wsp)
set(CPACK_PACKAGE_VENDOR "the wsp authors")
set(CPACK_PACKAGE_CONTACT "the wsp authors <wsp@localhost>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY
    "Windows Sockets 2 API and SPI on POSIX, with real disconnect data")
set(CPACK_RESOURCE_FILE_LICENSE ${CMAKE_SOURCE_DIR}/LICENSE)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION libs)
set(CPACK_DEBIAN_PACKAGE_DEPENDS "libc6 (>= 2.31), liburing2 (>= 2.1)")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
include(CPack)
