# The Debian package: `cpack -G DEB` in a build directory writes
# outpost_<version>_<arch>.deb with
#   /usr/bin/outpost
#   /usr/lib/systemd/system/outpost.service  (`outpost run`, data in /var/lib/outpost,
#                                             passphrase as a systemd credential)
#   /etc/outpost/outpost.toml                (example config, a conffile)
#   /usr/share/doc/outpost/                  (README and docs/*.md)
# and a postinst that creates the `outpost` system user.
# Test: packaging_deb (packaging/test_deb.sh via CTest).
set(OUTPOST_PACKAGING_DIR ${CMAKE_CURRENT_LIST_DIR})

install(TARGETS outpost RUNTIME DESTINATION bin)
install(FILES ${OUTPOST_PACKAGING_DIR}/outpost.service DESTINATION lib/systemd/system)
install(FILES ${OUTPOST_PACKAGING_DIR}/outpost.toml DESTINATION /etc/outpost)
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
    ${OUTPOST_PACKAGING_DIR}/conffiles ${OUTPOST_PACKAGING_DIR}/postinst)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
set(CPACK_GENERATOR DEB)
include(CPack)

# CTest (labels packaging, slow: 24 s on the loaded 2-core machine, 4.6 s of
# it CPU): build the .deb, unpack it into a scratch root, run the unpacked
# `outpost --version`. Not in the sanitizer trees (a package of an ASan
# binary tests nothing more).
if(NOT OUTPOST_SANITIZE AND NOT OUTPOST_TSAN AND NOT OUTPOST_FUZZ)
  add_test(NAME packaging_deb
           COMMAND ${OUTPOST_PACKAGING_DIR}/test_deb.sh ${PROJECT_BINARY_DIR}
                   ${PROJECT_VERSION})
  set_tests_properties(packaging_deb PROPERTIES LABELS "packaging" TIMEOUT 300
                       RUN_SERIAL TRUE)
endif()
