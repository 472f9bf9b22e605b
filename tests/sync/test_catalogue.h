// A small catalogue for CRDT tests: every column type, a nominal column, an
// append-only table, and a version 2 that adds a column and a table.
#ifndef OUTPOST_TESTS_SYNC_TEST_CATALOGUE_H_
#define OUTPOST_TESTS_SYNC_TEST_CATALOGUE_H_

#include "schema/catalogue.h"

namespace outpost::testing {

inline schema::Column Col(uint16_t id, const char* name, schema::ColumnType type,
                          bool nominal = false, uint32_t since = 1) {
  schema::Column c;
  c.id = id;
  c.name = name;
  c.type = type;
  c.nominal = nominal;
  c.since_version = since;
  return c;
}

inline schema::Catalogue TestCatalogue(uint32_t version = 2) {
  using schema::ColumnType;
  schema::Table item;
  item.id = 1;
  item.name = "item";
  item.columns = {
      Col(1, "a", ColumnType::kText), Col(2, "b", ColumnType::kInteger),
      Col(3, "c", ColumnType::kReal), Col(4, "owner", ColumnType::kText, true),
      Col(5, "ref", ColumnType::kId), Col(6, "added", ColumnType::kText, false, 2),
  };
  schema::Table log;
  log.id = 2;
  log.name = "log";
  log.append_only = true;
  log.columns = {Col(1, "what", ColumnType::kText)};
  schema::Table extra;
  extra.id = 3;
  extra.name = "newer";
  extra.since_version = 2;
  extra.columns = {Col(1, "x", ColumnType::kInteger)};
  return schema::Catalogue(2, {item, log, extra}).AsOfVersion(version);
}

}  // namespace outpost::testing

#endif  // OUTPOST_TESTS_SYNC_TEST_CATALOGUE_H_
