// The movement schema the rule language can name, and the flat facts
// extracted from one movement document. Internal to risk/.
//
// Invariants:
//  1. Every field path a rule names is resolved to a field id at compile time;
//     an unknown path is a compile error, never a silent miss.
//  2. A field belongs to exactly one collection. Collections form a tree
//     rooted at the movement (one element); each element records its parent
//     element, so "the consignment of this goods item" is one array read.
//  3. Facts are extracted once per assessment; string values view either the
//     movement JSON or Facts::owned, so Facts must not outlive the JSON. All
//     values live in one buffer (Facts::storage) that values[field] views, so
//     Facts is neither copied nor moved.
//  4. A collection holds at most kMaxElements elements; more are dropped and
//     reported in Facts::warnings (the engine then floors the lane).
#ifndef OUTPOST_RISK_FACTS_H_
#define OUTPOST_RISK_FACTS_H_

#include <array>
#include <cstdint>
#include <list>
#include <nlohmann/json.hpp>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace outpost::risk::internal {

enum class Type : uint8_t { kMissing, kBool, kNumber, kString, kTime, kDuration };
std::string_view TypeName(Type t);

enum Coll : int {
  kMovement = 0,
  kRoute,         // route countries, from "TR,RS,BA" or ["TR","RS","BA"]
  kEquipment,     // equipment[]
  kSeals,         // equipment[].seals[]
  kConsignments,  // consignments[]
  kGoods,         // consignments[].goods[]
  kPersons,       // persons[]
  kNumColls,
};
constexpr size_t kMaxElements = 1000;

struct CollDef {
  std::string_view name;      // as written in rules: "goods", "equipment.seals"
  Coll parent;                // kMovement for top-level arrays (and for kMovement itself)
  std::string_view json_key;  // key of the array in the parent element
};
const std::array<CollDef, kNumColls>& Collections();
// Bit mask of the strict ancestors of c, excluding kMovement.
uint32_t AncestorMask(Coll c);
// Resolves "goods", "equipment.seals", "consignments.goods"; -1 if unknown.
int FindCollection(std::string_view name);

struct FieldDef {
  std::string_view path;  // "goods.hs_code"
  Coll coll;
  Type type;
  std::string_view key;  // dotted key inside the element: "shipper.name"
};
const std::vector<FieldDef>& Fields();
// Field id for a path as written in a rule, or -1.
int FindField(std::string_view path);

struct Value {
  Type type = Type::kMissing;
  bool b = false;
  double num = 0;
  int64_t micros = 0;
  std::string_view str;
  bool missing() const { return type == Type::kMissing; }
};

struct Facts {
  Facts() = default;
  Facts(const Facts&) = delete;
  Facts& operator=(const Facts&) = delete;

  std::array<uint32_t, kNumColls> count{};
  // parent[c][i]: index of element i's parent element; local[c][i]: its index
  // within the parent's array (for "consignments[0].goods[2]").
  std::array<std::vector<int32_t>, kNumColls> parent, local;
  // values[field id][element], viewing `storage` (one allocation for all fields).
  std::vector<std::span<const Value>> values;
  std::vector<Value> storage;
  // Derived strings (person name, numbers); a list, so that an empty one does
  // not allocate and views of its strings stay valid as it grows.
  std::list<std::string> owned;
  std::vector<std::string> warnings;
  bool truncated = false;
};

// Extracts every schema field from a movement document. Never throws on
// malformed input: wrong types are treated as missing and noted in warnings.
void ExtractFacts(const nlohmann::json& movement, Facts* facts);

// "consignments[0].goods[1]" for element i of collection c ("" for the movement).
std::string ElementPath(const Facts& f, Coll c, int32_t i);

}  // namespace outpost::risk::internal

#endif  // OUTPOST_RISK_FACTS_H_
