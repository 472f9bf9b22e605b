# The Debian package: `cpack -G DEB` in a build directory writes
# outpost_<version>_<arch>.deb with
#   /usr/bin/outpost
#   /usr/lib/systemd/system/outpost.service  (`outpost run`, data in /var/lib/outpost,
#                                             passphrase as a systemd credential)
#   /etc/outpost/outpost.toml                (example config, a conffile)
#   /usr/share/doc/outpost/                  (README and docs/*.md)
#   /usr/share/man/man1/outpost.1            (generated from `outpost --help`, cli/CMakeLists.txt)
# a postinst that creates the `outpost` system user and restarts a running
# daemon on upgrade, a prerm that stops it on removal, a postrm that reloads
# systemd (and on purge removes /etc/outpost/passphrase; the data stays).
# Test: packaging_deb (packaging/test_deb.sh via CTest).
set(OUTPOST_PACKAGING_DIR ${CMAKE_CURRENT_LIST_DIR})

install(TARGETS outpost RUNTIME DESTINATION bin)
# The unit runs the binary where it was installed: its ExecStart is rewritten
# at install time for the prefix in force then (/usr for the .deb, which
# cpack installs with CMAKE_INSTALL_PREFIX=/usr; /usr/local for a plain
# `cmake --install`). Test: packaging_install (packaging/test_install.sh).
install(CODE "
  file(READ \"${OUTPOST_PACKAGING_DIR}/outpost.service\" unit)
  string(REPLACE \"ExecStart=/usr/bin/outpost \"
                 \"ExecStart=\${CMAKE_INSTALL_PREFIX}/bin/outpost \" unit \"\${unit}\")
  set(dest \"\$ENV{DESTDIR}\${CMAKE_INSTALL_PREFIX}/lib/systemd/system\")
  file(MAKE_DIRECTORY \"\${dest}\")
  file(WRITE \"\${dest}/outpost.service\" \"\${unit}\")
  message(STATUS \"Installing: \${dest}/outpost.service\")
")
install(FILES ${OUTPOST_PACKAGING_DIR}/outpost.toml DESTINATION /etc/outpost)
install(FILES ${PROJECT_BINARY_DIR}/cli/outpost.1 DESTINATION share/man/man1)
file(GLOB OUTPOST_DOCS ${PROJECT_SOURCE_DIR}/docs/*.md)
install(FILES ${PROJECT_SOURCE_DIR}/README.md ${OUTPOST_DOCS} DESTINATION share/doc/outpost)

set(CPACK_PACKAGE_NAME outpost)
set(CPACK_PACKAGE_VENDOR "Outpost")
set(CPACK_PACKAGE_CONTACT "Outpost maintainers <outpost@example.org>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY
    "offline-first synchronising record store for border-crossing field units")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_STRIP_FILES ON)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION admin)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_DEPENDS "adduser, systemd (>= 247)")
# gzip: a few seconds instead of xz's tens on a 2-core machine.
set(CPACK_DEBIAN_COMPRESSION_TYPE gzip)
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA
    ${OUTPOST_PACKAGING_DIR}/conffiles ${OUTPOST_PACKAGING_DIR}/postinst
    ${OUTPOST_PACKAGING_DIR}/prerm ${OUTPOST_PACKAGING_DIR}/postrm)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
set(CPACK_GENERATOR DEB)
include(CPack)

# CTest (labels packaging, slow: 24 s on the loaded 2-core machine, 4.6 s of
# it CPU): build the .deb, unpack it into a scratch root, run the unpacked
# `outpost --version`. Not in the sanitizer trees (a package of an ASan
# binary tests nothing more).
if(NOT OUTPOST_SANITIZE AND NOT OUTPOST_TSAN AND NOT OUTPOST_FUZZ)
  # Quick: `cmake --install` to a scratch prefix; the unit names that prefix.
  add_test(NAME packaging_install
           COMMAND ${OUTPOST_PACKAGING_DIR}/test_install.sh ${PROJECT_BINARY_DIR})
  set_tests_properties(packaging_install PROPERTIES LABELS "packaging" TIMEOUT 120)
  add_test(NAME packaging_deb
           COMMAND ${OUTPOST_PACKAGING_DIR}/test_deb.sh ${PROJECT_BINARY_DIR}
                   ${PROJECT_VERSION})
  set_tests_properties(packaging_deb PROPERTIES LABELS "packaging" TIMEOUT 300
                       RUN_SERIAL TRUE)
endif()
