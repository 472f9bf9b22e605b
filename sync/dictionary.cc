#include "sync/dictionary.h"

#include <zdict.h>

#include "sync/change_batch.h"

namespace outpost::sync {

namespace {

// Columns whose values come from a closed list: structure, not identity.
bool IsCodeList(schema::Check c) {
  using schema::Check;
  switch (c) {
    case Check::kEnum:
    case Check::kEnumList:
    case Check::kCountry:
    case Check::kCountryList:
    case Check::kCurrency:
    case Check::kUnit:
    case Check::kSiteCode:
    case Check::kNationality:
    case Check::kContainerSizeType:
      return true;
    default:
      return false;
  }
}

}  // namespace

bool IsClosedListColumn(const schema::Column& column) { return IsCodeList(column.check); }

Result<Bytes> StructureSample(std::span<const uint8_t> body, const schema::Catalogue& catalogue) {
  OUTPOST_ASSIGN_OR_RETURN(ChangeBatch b, DecodeBatchBody(body));
  b.origin = {};
  b.prev_hash = {};
  for (auto& r : b.rows) {
    r.id = {};
    const schema::Table* t = catalogue.FindById(r.table);
    for (auto& c : r.columns) {
      const schema::Column* col = t ? t->FindColumnById(c.column) : nullptr;
      if (auto* s = std::get_if<std::string>(&c.value)) {
        if (!col || !IsCodeList(col->check)) s->clear();
      } else if (auto* bytes = std::get_if<Bytes>(&c.value)) {
        bytes->clear();
      }
    }
  }
  return EncodeBatchBody(b);
}

Result<Bytes> TrainDictionary(const std::vector<Bytes>& samples, size_t capacity) {
  Bytes all;
  std::vector<size_t> sizes;
  for (const auto& s : samples) {
    all.insert(all.end(), s.begin(), s.end());
    sizes.push_back(s.size());
  }
  Bytes dict(capacity);
  size_t n = ZDICT_trainFromBuffer(dict.data(), dict.size(), all.data(), sizes.data(),
                                   static_cast<unsigned>(sizes.size()));
  if (ZDICT_isError(n)) {
    return Status::InvalidArgument(std::string("zstd dictionary training: ") +
                                   ZDICT_getErrorName(n) + " (" + std::to_string(samples.size()) +
                                   " samples)");
  }
  dict.resize(n);
  return dict;
}

}  // namespace outpost::sync
