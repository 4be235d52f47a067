# What an installed stguard carries besides the binaries (included from the
# top-level CMakeLists.txt, after validator/):
#   share/stguard/policies/*.json        `--policy NAME` finds them by name
#   share/doc/stguard/                   README, SECURITY, docs/ (codes, report
#                                        format and schema, pickle allowlist),
#                                        the policies' README
#   share/man/man1/stguard.1.gz          made by help2man from `stguard --help`
#                                        and `--version`: the same text
#   share/bash-completion/completions/stguard
include(GNUInstallDirs)

install(DIRECTORY ${PROJECT_SOURCE_DIR}/policies/
        DESTINATION ${CMAKE_INSTALL_DATADIR}/stguard/policies
        FILES_MATCHING PATTERN "*.json")
install(FILES ${PROJECT_SOURCE_DIR}/README.md ${PROJECT_SOURCE_DIR}/SECURITY.md
        DESTINATION ${CMAKE_INSTALL_DOCDIR})
install(DIRECTORY ${PROJECT_SOURCE_DIR}/docs/ DESTINATION ${CMAKE_INSTALL_DOCDIR})
install(FILES ${PROJECT_SOURCE_DIR}/policies/README.md
        DESTINATION ${CMAKE_INSTALL_DOCDIR} RENAME policies.md)
install(FILES ${PROJECT_SOURCE_DIR}/packaging/stguard.bash-completion
        DESTINATION ${CMAKE_INSTALL_DATADIR}/bash-completion/completions RENAME stguard)

# The man page: help2man runs the CLI just built. Without help2man (it is in
# scripts/install-deps) the page is left out and configure says so; the
# .deb test requires it.
find_program(STGUARD_HELP2MAN help2man)
if(NOT TARGET stguard)
  # A build of the libraries and fuzz targets alone (no CLI11): no CLI, no page.
elseif(STGUARD_HELP2MAN)
  set(_stguard_man ${PROJECT_BINARY_DIR}/stguard.1)
  add_custom_command(
    OUTPUT ${_stguard_man}
    COMMAND ${STGUARD_HELP2MAN} --no-info --no-discard-stderr
            --name "validate safetensors model files before anything loads them"
            --section 1 --output ${_stguard_man} $<TARGET_FILE:stguard>
    DEPENDS stguard
    COMMENT "stguard.1 from stguard --help (help2man)"
    VERBATIM)
  # Compressed, as man-db and Debian expect (gzip -n: no time stamp, so the
  # page is the same bytes for the same text).
  add_custom_command(
    OUTPUT ${_stguard_man}.gz
    COMMAND gzip -9nf -k ${_stguard_man}
    DEPENDS ${_stguard_man}
    VERBATIM)
  add_custom_target(stguard_man ALL DEPENDS ${_stguard_man}.gz)
  install(FILES ${_stguard_man}.gz DESTINATION ${CMAKE_INSTALL_MANDIR}/man1)
else()
  message(STATUS "help2man not found: the stguard(1) man page is not built")
endif()
