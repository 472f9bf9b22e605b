// Helpers every test may use, whatever layer it tests (outpost_test_support,
// which depends on no Outpost library): TempDir, a fresh directory that is
// removed with everything in it when the TempDir goes.
//
// A TempDir is made with mkdtemp(3) under std::filesystem::temp_directory_path()
// (TMPDIR), mode 0700, named "outpost-test-XXXXXX", so two TempDirs, two test
// processes or two runs never share one. A failure to create it ends the test
// case (BOOST_REQUIRE); a failure to remove it is ignored. Not thread-safe: one
// TempDir per thread.
#ifndef OUTPOST_TESTS_SUPPORT_TEMP_DIR_H_
#define OUTPOST_TESTS_SUPPORT_TEMP_DIR_H_

#include <sys/types.h>

#include <filesystem>
#include <string>

namespace outpost::testing {

class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  // The directory, which exists until this TempDir is destroyed.
  const std::filesystem::path path;
  std::string str() const { return path.string(); }

  // Writes `content` to `name` in this directory with permissions `mode` and
  // returns its path; ends the test case when the file cannot be written.
  std::filesystem::path WriteFile(const std::string& name, const std::string& content,
                                  mode_t mode = 0600) const;
};

}  // namespace outpost::testing

#endif  // OUTPOST_TESTS_SUPPORT_TEMP_DIR_H_
