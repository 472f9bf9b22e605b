#include "tests/support/temp_dir.h"

#include <stdlib.h>
#include <sys/stat.h>

#include <boost/test/unit_test.hpp>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <system_error>

namespace outpost::testing {
namespace {

std::filesystem::path MakeTempDir() {
  std::string tmpl = (std::filesystem::temp_directory_path() / "outpost-test-XXXXXX").string();
  BOOST_REQUIRE_MESSAGE(::mkdtemp(tmpl.data()) != nullptr,
                        "mkdtemp " << tmpl << ": " << std::strerror(errno));
  return tmpl;
}

}  // namespace

TempDir::TempDir() : path(MakeTempDir()) {}

TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(path, ec);
}

std::filesystem::path TempDir::WriteFile(const std::string& name, const std::string& content,
                                         mode_t mode) const {
  const std::filesystem::path p = path / name;
  {
    std::ofstream out(p, std::ios::binary);
    out << content;
    BOOST_REQUIRE_MESSAGE(out.flush().good(), "cannot write " << p);
  }
  BOOST_REQUIRE_MESSAGE(::chmod(p.c_str(), mode) == 0,
                        "chmod " << p << ": " << std::strerror(errno));
  return p;
}

}  // namespace outpost::testing
