// Fuzzes the JSON -> row boundary (schema/row_json.h): any bytes, parsed as
// JSON without exceptions, then ParseRow and ParsePatch against a table picked
// by the first byte. A row that parses must render back with RowToJson and
// re-parse to the same row.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <nlohmann/json.hpp>
#include <string_view>
#include <vector>

#include "schema/catalogue.h"
#include "schema/row_json.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using outpost::schema::Catalogue;
  static const Catalogue kCatalogue = outpost::schema::DomainCatalogue();
  if (size == 0 || kCatalogue.tables().empty()) return 0;
  const auto& table = kCatalogue.tables()[data[0] % kCatalogue.tables().size()];
  const auto doc = nlohmann::json::parse(data + 1, data + size, /*cb=*/nullptr,
                                         /*allow_exceptions=*/false);
  if (doc.is_discarded()) return 0;
  static const std::vector<std::string_view> kEnvelope = {"id", "type"};

  auto row = outpost::schema::ParseRow(table, doc, table.name, kEnvelope);
  if (row.ok()) {
    const auto again =
        outpost::schema::ParseRow(table, outpost::schema::RowToJson(table, *row), table.name);
    if (!again.ok() || !(*again == *row)) std::abort();
  }
  auto patch = outpost::schema::ParsePatch(table, doc, table.name, kEnvelope);
  if (patch.ok()) {
    // dump() must not throw: every string in a parsed row is valid UTF-8.
    (void)outpost::schema::RowToJson(table, *patch).dump();
  }
  return 0;
}
