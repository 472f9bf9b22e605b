// The pages, styles and scripts of web/assets/, built into the binary
// (web/CMakeLists.txt turns each file into bytes of a generated .cc at build
// time, cmake/embed_assets.cmake): nothing is read from disk or fetched from
// the network at run time. Read-only; thread-safe.
#ifndef OUTPOST_WEB_ASSETS_H_
#define OUTPOST_WEB_ASSETS_H_

#include <span>
#include <string_view>

namespace outpost::web {

struct Asset {
  std::string_view name;          // file name under web/assets/, e.g. "app.js"
  std::string_view content_type;  // from the extension
  std::string_view body;
};

// Every embedded asset.
std::span<const Asset> Assets();
// The asset with exactly this name, or nullptr. Names are compared whole:
// no path is ever resolved, so "../x" or "a/../b" find nothing.
const Asset* FindAsset(std::string_view name);

}  // namespace outpost::web

#endif  // OUTPOST_WEB_ASSETS_H_
