#include "schema/catalogue.h"

namespace outpost::schema {

const Column* Table::FindColumn(std::string_view n) const {
  for (const auto& c : columns) {
    if (c.name == n) return &c;
  }
  return nullptr;
}

const Column* Table::FindColumnById(uint16_t cid) const {
  for (const auto& c : columns) {
    if (c.id == cid) return &c;
  }
  return nullptr;
}

Catalogue::Catalogue(uint32_t version, std::vector<Table> tables)
    : version_(version), tables_(std::move(tables)) {}

const Table* Catalogue::Find(std::string_view n) const {
  for (const auto& t : tables_) {
    if (t.name == n) return &t;
  }
  return nullptr;
}

const Table* Catalogue::FindById(uint16_t tid) const {
  for (const auto& t : tables_) {
    if (t.id == tid) return &t;
  }
  return nullptr;
}

Catalogue Catalogue::AsOfVersion(uint32_t v) const {
  std::vector<Table> out;
  for (const auto& t : tables_) {
    if (t.since_version > v) continue;
    Table copy = t;
    copy.columns.clear();
    for (const auto& c : t.columns) {
      if (c.since_version <= v) copy.columns.push_back(c);
    }
    out.push_back(std::move(copy));
  }
  return Catalogue(v, std::move(out));
}

}  // namespace outpost::schema
