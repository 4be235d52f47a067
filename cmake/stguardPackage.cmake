# CMake package (find_package(stguard) -> stguard::stguard, shared, and
# stguard::stguard_static) and pkg-config file (stguard.pc), installed with
# the libraries. Included from validator/CMakeLists.txt.
include(CMakePackageConfigHelpers)
include(GNUInstallDirs)

set(STGUARD_CMAKE_INSTALL_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/stguard)
install(EXPORT stguardTargets NAMESPACE stguard:: FILE stguardTargets.cmake
        DESTINATION ${STGUARD_CMAKE_INSTALL_DIR})
configure_package_config_file(${CMAKE_CURRENT_LIST_DIR}/stguardConfig.cmake.in
  ${PROJECT_BINARY_DIR}/stguardConfig.cmake
  INSTALL_DESTINATION ${STGUARD_CMAKE_INSTALL_DIR})
write_basic_package_version_file(${PROJECT_BINARY_DIR}/stguardConfigVersion.cmake
  VERSION ${PROJECT_VERSION} COMPATIBILITY SameMinorVersion)
install(FILES ${PROJECT_BINARY_DIR}/stguardConfig.cmake
              ${PROJECT_BINARY_DIR}/stguardConfigVersion.cmake
        DESTINATION ${STGUARD_CMAKE_INSTALL_DIR})

# pkg-config: prefix is computed from the .pc file's own location, so the
# installed tree stays relocatable (cmake --install --prefix anywhere).
file(RELATIVE_PATH STGUARD_PC_TO_PREFIX
  /prefix/${CMAKE_INSTALL_LIBDIR}/pkgconfig /prefix)
string(REGEX REPLACE "/$" "" STGUARD_PC_TO_PREFIX "${STGUARD_PC_TO_PREFIX}")
# The private dependencies' link flags, as pkg-config gives them here.
pkg_check_modules(STGUARD_PC_DEPS QUIET simdjson libcrypto)
if(STGUARD_PC_DEPS_FOUND)
  list(JOIN STGUARD_PC_DEPS_LDFLAGS " " STGUARD_PC_PRIVATE_LIBS)
else()
  set(STGUARD_PC_PRIVATE_LIBS "-lsimdjson -lcrypto")
endif()
configure_file(${CMAKE_CURRENT_LIST_DIR}/stguard.pc.in ${PROJECT_BINARY_DIR}/stguard.pc @ONLY)
install(FILES ${PROJECT_BINARY_DIR}/stguard.pc
        DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)
