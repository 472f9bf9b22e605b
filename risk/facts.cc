#include "risk/facts.h"

#include <algorithm>
#include <charconv>
#include <cstdlib>
#include <deque>

#include "base/clock.h"

namespace outpost::risk::internal {
namespace {

using json = nlohmann::json;

constexpr std::array<CollDef, kNumColls> kColls = {{
    {"movement", kMovement, ""},
    {"route", kMovement, "route"},
    {"equipment", kMovement, "equipment"},
    {"equipment.seals", kEquipment, "seals"},
    {"consignments", kMovement, "consignments"},
    {"goods", kConsignments, "goods"},
    {"persons", kMovement, "persons"},
}};

std::vector<FieldDef> MakeFields() {
  using T = Type;
  std::vector<FieldDef> f = {
      {"direction", kMovement, T::kString, "direction"},
      {"mode", kMovement, T::kString, "mode"},
      {"crossing", kMovement, T::kString, "crossing"},
      {"time", kMovement, T::kTime, "time"},
      {"declaration", kMovement, T::kString, "declaration"},
      {"vehicle.plate", kMovement, T::kString, "vehicle.plate"},
      {"vehicle.plate_country", kMovement, T::kString, "vehicle.plate_country"},
      {"vehicle.vin", kMovement, T::kString, "vehicle.vin"},
      {"vehicle.kind", kMovement, T::kString, "vehicle.kind"},
      {"trailer.plate", kMovement, T::kString, "trailer.plate"},
      {"trailer.plate_country", kMovement, T::kString, "trailer.plate_country"},
      {"trailer.kind", kMovement, T::kString, "trailer.kind"},
      {"route.country", kRoute, T::kString, ""},
      {"equipment.number", kEquipment, T::kString, "number"},
      {"equipment.size_type", kEquipment, T::kString, "size_type"},
      {"equipment.kind", kEquipment, T::kString, "kind"},
      {"equipment.loaded", kEquipment, T::kBool, "loaded"},
      {"equipment.seals.number", kSeals, T::kString, "number"},
      {"equipment.seals.issuer", kSeals, T::kString, "issuer"},
      {"equipment.seals.condition", kSeals, T::kString, "condition"},
      {"consignments.transport_doc_type", kConsignments, T::kString, "transport_doc_type"},
      {"consignments.transport_doc_number", kConsignments, T::kString, "transport_doc_number"},
      {"consignments.origin_country", kConsignments, T::kString, "origin_country"},
      {"consignments.dispatch_country", kConsignments, T::kString, "dispatch_country"},
      {"consignments.destination_country", kConsignments, T::kString, "destination_country"},
      {"goods.hs_code", kGoods, T::kString, "hs_code"},
      {"goods.description", kGoods, T::kString, "description"},
      {"goods.packages", kGoods, T::kNumber, "packages"},
      {"goods.gross_kg", kGoods, T::kNumber, "gross_kg"},
      {"goods.net_kg", kGoods, T::kNumber, "net_kg"},
      {"goods.value", kGoods, T::kNumber, "value"},
      {"goods.currency", kGoods, T::kString, "currency"},
      {"persons.role", kPersons, T::kString, "role"},
      {"persons.family_name", kPersons, T::kString, "family_name"},
      {"persons.given_names", kPersons, T::kString, "given_names"},
      {"persons.name", kPersons, T::kString, ""},  // derived, see PersonName
      {"persons.date_of_birth", kPersons, T::kTime, "date_of_birth"},
      {"persons.nationality", kPersons, T::kString, "nationality"},
      {"persons.document_type", kPersons, T::kString, "document_type"},
      {"persons.document_number", kPersons, T::kString, "document_number"},
      {"persons.data_subject_category", kPersons, T::kString, "data_subject_category"},
  };
  // Parties of a consignment share one shape.
  static constexpr std::string_view kParties[] = {"shipper", "consignee", "declarant"};
  static constexpr std::string_view kPartyFields[] = {"name", "country", "tin"};
  static std::deque<std::string> names;  // stable storage for the generated paths
  for (auto p : kParties) {
    for (auto k : kPartyFields) {
      names.push_back("consignments." + std::string(p) + "." + std::string(k));
      std::string_view path = names.back();
      f.push_back(
          {path, kConsignments, T::kString, path.substr(std::string_view("consignments.").size())});
    }
  }
  // Appended, so the ids of the fields above stay as they were.
  f.push_back({"weighbridge_kg", kMovement, T::kNumber, "weighbridge_kg"});
  f.push_back({"declared_gross_kg", kMovement, T::kNumber, ""});  // derived, see DeclaredGross
  return f;
}

const json* Navigate(const json& obj, std::string_view dotted) {
  const json* cur = &obj;
  while (!dotted.empty()) {
    if (!cur->is_object()) return nullptr;
    size_t dot = dotted.find('.');
    std::string_view key = dotted.substr(0, dot);
    auto it = cur->find(key);
    if (it == cur->end()) return nullptr;
    cur = &*it;
    dotted = dot == std::string_view::npos ? std::string_view() : dotted.substr(dot + 1);
  }
  return cur;
}

bool ParseTimeOrDate(std::string_view s, int64_t* micros) {
  if (s.size() == 10) return ParseUtcMicros(std::string(s) + "T00:00:00Z", micros);
  return ParseUtcMicros(s, micros);
}

// "YYYY" or "YYYY-MM": a date of birth a document prints partially. It names
// no instant, so rules see it as missing, and it is no data error either.
bool IsPartialDate(std::string_view s) {
  auto digits = [](std::string_view d) {
    return std::all_of(d.begin(), d.end(), [](char c) { return c >= '0' && c <= '9'; });
  };
  if (s.size() == 4) return digits(s);
  return s.size() == 7 && s[4] == '-' && digits(s.substr(0, 4)) && digits(s.substr(5));
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// The schema's keys grouped by collection and first key segment, so that each
// element's JSON object is read once (one pass over its members) instead of
// one map lookup per field. Keys nest at most two deep ("vehicle.plate").
struct KeyEntry {
  std::string_view key;                               // first segment: "vehicle", "hs_code"
  int field = -1;                                     // field whose whole key it is, or -1
  std::vector<std::pair<std::string_view, int>> sub;  // second segment -> field
};
using KeyTable = std::array<std::vector<KeyEntry>, kNumColls>;

KeyTable MakeKeyTable(const std::vector<FieldDef>& fields) {
  KeyTable t;
  for (size_t id = 0; id < fields.size(); ++id) {
    const FieldDef& def = fields[id];
    if (def.key.empty()) continue;  // route.country, persons.name: derived
    const size_t dot = def.key.find('.');
    const std::string_view first = def.key.substr(0, dot);
    auto& entries = t[def.coll];
    auto it = std::find_if(entries.begin(), entries.end(),
                           [&](const KeyEntry& e) { return e.key == first; });
    if (it == entries.end()) it = entries.insert(entries.end(), KeyEntry{first, -1, {}});
    if (dot == std::string_view::npos) {
      it->field = static_cast<int>(id);
    } else {
      // Two segments at most (checked here, once, for the fixed schema).
      const std::string_view rest = def.key.substr(dot + 1);
      if (rest.find('.') != std::string_view::npos) std::abort();
      it->sub.emplace_back(rest, static_cast<int>(id));
    }
  }
  return t;
}

const KeyTable& Keys() {
  static const KeyTable kTable = MakeKeyTable(Fields());
  return kTable;
}

Value Convert(const json& j, Type type, Facts* facts, std::string_view path) {
  Value v;
  switch (type) {
    case Type::kString:
      if (j.is_string()) {
        v.type = Type::kString;
        v.str = j.get_ref<const std::string&>();
      } else if (j.is_number_integer()) {
        facts->owned.push_back(j.dump());
        v.type = Type::kString;
        v.str = facts->owned.back();
      }
      break;
    case Type::kNumber:
      if (j.is_number()) {
        v.type = Type::kNumber;
        v.num = j.get<double>();
      } else if (j.is_string()) {
        const std::string& s = j.get_ref<const std::string&>();
        auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v.num);
        if (ec == std::errc() && p == s.data() + s.size()) v.type = Type::kNumber;
      }
      break;
    case Type::kBool:
      if (j.is_boolean()) {
        v.type = Type::kBool;
        v.b = j.get<bool>();
      } else if (j.is_string() && (j == "true" || j == "false")) {
        v.type = Type::kBool;
        v.b = j == "true";
      }
      break;
    case Type::kTime:
      if (j.is_string() && ParseTimeOrDate(j.get_ref<const std::string&>(), &v.micros)) {
        v.type = Type::kTime;
      } else if (j.is_string() && IsPartialDate(j.get_ref<const std::string&>())) {
        return v;
      }
      break;
    default:
      break;
  }
  if (v.missing() && !j.is_null()) {
    facts->warnings.push_back(std::string(path) + ": " +
                              j.dump(-1, ' ', false, json::error_handler_t::replace).substr(0, 64) +
                              " is not a " + std::string(TypeName(type)));
  }
  return v;
}

// The movement's declared gross mass: the sum of goods.gross_kg over every
// goods item of every consignment. Missing when there are no goods or when
// any item lacks a readable gross_kg: a partial sum would understate the
// declaration, and a weighbridge rule would then hit on the gap. Reads the
// goods.gross_kg facts, which come earlier in the field order.
Value DeclaredGross(const Facts& f) {
  static const int kGross = FindField("goods.gross_kg");
  Value v;
  if (f.count[kGoods] == 0) return v;
  double sum = 0;
  for (const Value& g : f.values[kGross]) {
    if (g.type != Type::kNumber) return v;
    sum += g.num;
  }
  v.type = Type::kNumber;
  v.num = sum;
  return v;
}

}  // namespace

std::string_view TypeName(Type t) {
  switch (t) {
    case Type::kMissing:
      return "missing";
    case Type::kBool:
      return "boolean";
    case Type::kNumber:
      return "number";
    case Type::kString:
      return "string";
    case Type::kTime:
      return "time";
    case Type::kDuration:
      return "duration";
  }
  return "?";
}

const std::array<CollDef, kNumColls>& Collections() { return kColls; }

uint32_t AncestorMask(Coll c) {
  uint32_t m = 0;
  for (Coll p = kColls[c].parent; p != kMovement; p = kColls[p].parent) m |= 1u << p;
  return m;
}

int FindCollection(std::string_view name) {
  if (name == "consignments.goods") return kGoods;
  if (name == "seals") return kSeals;
  for (int c = 1; c < kNumColls; ++c) {
    if (kColls[c].name == name) return c;
  }
  return -1;
}

const std::vector<FieldDef>& Fields() {
  static const std::vector<FieldDef> kFields = MakeFields();
  return kFields;
}

int FindField(std::string_view path) {
  std::string alias;
  if (path.starts_with("consignments.goods.")) {
    alias = "goods." + std::string(path.substr(19));
    path = alias;
  } else if (path.starts_with("seals.")) {
    alias = "equipment." + std::string(path);
    path = alias;
  } else if (path == "vehicle.type" || path == "trailer.type") {
    // Earlier names of the catalogue's `kind` (a vehicle's "type" key is the
    // document's table name and is never stored): kept so that rulesets
    // written with them still compile, and read the stored field.
    alias = std::string(path.substr(0, path.find('.'))) + ".kind";
    path = alias;
  } else if (path == "persons.category") {
    alias = "persons.data_subject_category";
    path = alias;
  }
  const auto& fields = Fields();
  for (size_t i = 0; i < fields.size(); ++i) {
    if (fields[i].path == path) return static_cast<int>(i);
  }
  return -1;
}

void ExtractFacts(const json& root, Facts* f) {
  static const json kEmpty = json::object();
  const json& doc = root.is_object() ? root : kEmpty;
  if (!root.is_object()) f->warnings.push_back("movement: not a JSON object");

  std::array<std::vector<const json*>, kNumColls> elems;
  std::vector<std::string_view> route;
  elems[kMovement].push_back(&doc);
  f->parent[kMovement] = {-1};
  f->local[kMovement] = {0};
  for (int c = 1; c < kNumColls; ++c) {
    const CollDef& def = kColls[c];
    if (c == kRoute) {
      auto it = doc.find("route");
      if (it != doc.end() && it->is_string()) {
        std::string_view s = it->get_ref<const std::string&>();
        while (!s.empty()) {
          size_t comma = s.find(',');
          std::string_view item = Trim(s.substr(0, comma));
          if (!item.empty()) route.push_back(item);
          s = comma == std::string_view::npos ? std::string_view() : s.substr(comma + 1);
        }
      } else if (it != doc.end() && it->is_array()) {
        for (const auto& e : *it) {
          if (e.is_string()) route.push_back(e.get_ref<const std::string&>());
        }
      }
      for (size_t i = 0; i < route.size() && i < kMaxElements; ++i) {
        elems[c].push_back(nullptr);
        f->parent[c].push_back(0);
        f->local[c].push_back(static_cast<int32_t>(i));
      }
      if (route.size() > kMaxElements) f->truncated = true;
      continue;
    }
    for (size_t p = 0; p < elems[def.parent].size(); ++p) {
      const json* parent = elems[def.parent][p];
      auto it = parent->find(def.json_key);
      if (it == parent->end() || it->is_null()) continue;
      if (!it->is_array()) {
        f->warnings.push_back(std::string(def.name) + ": not an array");
        continue;
      }
      int32_t local = 0;
      for (const auto& e : *it) {
        if (elems[c].size() >= kMaxElements) {
          f->truncated = true;
          break;
        }
        if (!e.is_object()) {
          f->warnings.push_back(std::string(def.name) + ": element is not an object");
          ++local;
          continue;
        }
        elems[c].push_back(&e);
        f->parent[c].push_back(static_cast<int32_t>(p));
        f->local[c].push_back(local++);
      }
    }
  }
  if (f->truncated) {
    f->warnings.push_back("movement: a collection has more than " + std::to_string(kMaxElements) +
                          " elements; the rest were not assessed");
  }
  for (int c = 0; c < kNumColls; ++c) f->count[c] = static_cast<uint32_t>(elems[c].size());

  // One slot per (field, element), field-major, in one buffer.
  const auto& fields = Fields();
  std::vector<uint32_t> offset(fields.size() + 1);
  for (size_t id = 0; id < fields.size(); ++id) {
    offset[id + 1] = offset[id] + f->count[fields[id].coll];
  }
  f->storage.assign(offset.back(), Value{});
  f->values.resize(fields.size());
  for (size_t id = 0; id < fields.size(); ++id) {
    f->values[id] =
        std::span<const Value>(f->storage.data() + offset[id], offset[id + 1] - offset[id]);
  }

  // Find each field's JSON value by reading every element's members once.
  std::vector<const json*> found(offset.back(), nullptr);
  const KeyTable& keys = Keys();
  for (int c = 0; c < kNumColls; ++c) {
    if (c == kRoute || keys[c].empty()) continue;
    for (uint32_t i = 0; i < f->count[c]; ++i) {
      const json& e = *elems[c][i];
      for (auto m = e.begin(); m != e.end(); ++m) {
        const std::string& key = m.key();
        for (const KeyEntry& k : keys[c]) {
          if (k.key != key) continue;
          if (k.field >= 0) found[offset[k.field] + i] = &m.value();
          if (!k.sub.empty() && m->is_object()) {
            for (const auto& [sub, id] : k.sub) {
              auto it = m->find(sub);
              if (it != m->end()) found[offset[id] + i] = &*it;
            }
          }
          break;
        }
      }
    }
  }

  // Convert field by field (so warnings come in field order).
  for (size_t id = 0; id < fields.size(); ++id) {
    const FieldDef& def = fields[id];
    Value* col = f->storage.data() + offset[id];
    for (uint32_t i = 0; i < f->count[def.coll]; ++i) {
      if (def.coll == kRoute) {
        col[i].type = Type::kString;
        col[i].str = route[i];
        continue;
      }
      if (def.key.empty() && def.coll == kMovement) {  // declared_gross_kg
        col[i] = DeclaredGross(*f);
        continue;
      }
      if (def.key.empty()) {  // persons.name
        const json& e = *elems[def.coll][i];
        const json* name = Navigate(e, "name");
        if (name != nullptr && name->is_string()) {
          col[i] = Value{Type::kString, false, 0, 0, name->get_ref<const std::string&>()};
          continue;
        }
        const json* given = Navigate(e, "given_names");
        const json* family = Navigate(e, "family_name");
        std::string full;
        if (given != nullptr && given->is_string()) full = given->get<std::string>();
        if (family != nullptr && family->is_string()) {
          if (!full.empty()) full += ' ';
          full += family->get<std::string>();
        }
        if (!full.empty()) {
          f->owned.push_back(std::move(full));
          col[i] = Value{Type::kString, false, 0, 0, f->owned.back()};
        }
        continue;
      }
      const json* j = found[offset[id] + i];
      if (j != nullptr) col[i] = Convert(*j, def.type, f, def.path);
    }
  }
}

std::string ElementPath(const Facts& f, Coll c, int32_t i) {
  if (c == kMovement) return "";
  const CollDef& def = kColls[c];
  std::string prefix;
  if (def.parent != kMovement) prefix = ElementPath(f, def.parent, f.parent[c][i]) + ".";
  return prefix + std::string(def.json_key) + "[" + std::to_string(f.local[c][i]) + "]";
}

}  // namespace outpost::risk::internal
