# One Debian package, `stguard`, with everything `cmake --install` puts in
# place: the CLI, libstguard.so and .a, the headers, the CMake package and
# pkg-config file, the policies, docs, man page and bash completion.
#   cmake -S . -B build -DCMAKE_INSTALL_PREFIX=/usr && ninja -C build
#   cd build && cpack -G DEB            -> stguard_<version>_<arch>.deb
# The package installs under CMAKE_INSTALL_PREFIX, which should be /usr for a
# .deb (the library looks for installed policies there, see
# validator/src/policy_search.cc; the CLI also beside its own bin/).
set(CPACK_PACKAGE_NAME stguard)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_VENDOR "stguard")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY
    "validate safetensors model files before anything loads them")
set(CPACK_PACKAGE_DESCRIPTION
    "stguard checks safetensors files (and names pickles and other loadable
formats) under a policy before a loader touches them: framing, header JSON,
tensor table, data layout, sharded indexes, optionally the data itself.
CLI, C and C++ libraries, policies, documentation.")
set(CPACK_PACKAGE_CONTACT "stguard maintainers <security@stguard.invalid>")
set(CPACK_PACKAGING_INSTALL_PREFIX ${CMAKE_INSTALL_PREFIX})
set(CPACK_STRIP_FILES ON)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION utils)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
# Run-time libraries from the binaries' own links (dpkg-shlibdeps, dpkg-dev).
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
# What building against the installed headers, CMake package or static
# library needs (find_package(stguard) finds simdjson; the static library
# links libcrypto).
set(CPACK_DEBIAN_PACKAGE_RECOMMENDS "libsimdjson-dev, libssl-dev, pkg-config")
set(CPACK_DEBIAN_PACKAGE_HOMEPAGE "https://github.com/stguard/stguard")
set(CPACK_GENERATOR DEB)
include(CPack)
