// The rule index: which rules an assessment needs to evaluate.
//
// Invariants:
//  1. CandidateRules marks exactly the rules the per-rule test
//     `AnyGuardHolds(rule) || MayExhaust(rule)` accepts, so an
//     indexed assessment evaluates the same rules, in the same (ruleset)
//     order, as one that tests every guard (tested on random rules and
//     movements: risk_test's indexed_assessment_equals_unindexed).
//  2. A rule's guards are atoms on one field each (FindGuards), any of which
//     must hold. String atoms are looked up by the element's value (`=`,
//     `in { ... }`) or by each of its prefixes whose length some atom uses
//     (`startswith`); list and number atoms are tested one by one, only for
//     rules not already marked.
#include <algorithm>

#include "node/risk/program.h"

namespace outpost::risk::internal {

RuleIndex BuildRuleIndex(const std::vector<Rule>& rules) {
  RuleIndex index;
  index.rule_count = rules.size();
  auto field_rules = [&](int field) -> RuleIndex::FieldRules& {
    for (auto& f : index.fields) {
      if (f.field == field) return f;
    }
    index.fields.emplace_back();
    index.fields.back().field = field;
    return index.fields.back();
  };
  for (uint32_t r = 0; r < rules.size(); ++r) {
    if (rules[r].guards.empty()) {
      index.unguarded.push_back(r);
      continue;
    }
    const size_t depth = static_cast<size_t>(rules[r].depth);
    if (index.max_nodes_by_depth.size() <= depth) index.max_nodes_by_depth.resize(depth + 1, 0);
    index.max_nodes_by_depth[depth] = std::max(index.max_nodes_by_depth[depth], rules[r].nodes);
    // Rules are visited in order, so each list stays ascending; a rule is
    // listed once per distinct key.
    auto add = [r](std::vector<uint32_t>& list) {
      if (list.empty() || list.back() != r) list.push_back(r);
    };
    for (const Node* g : rules[r].guards) {
      if (!IsStringAtom(*g)) {
        index.tested.emplace_back(r, g);
        continue;
      }
      RuleIndex::FieldRules& f = field_rules(g->kids[0]->field);
      switch (g->op) {
        case Op::kCmp:
          add(f.exact[std::string(g->kids[1]->constant.str)]);
          break;
        case Op::kStartsWith: {
          const std::string_view prefix = g->kids[1]->constant.str;
          add(f.prefix[std::string(prefix)]);
          const auto len = static_cast<uint32_t>(prefix.size());
          auto it = std::lower_bound(f.prefix_lengths.begin(), f.prefix_lengths.end(), len);
          if (it == f.prefix_lengths.end() || *it != len) f.prefix_lengths.insert(it, len);
          break;
        }
        default:  // kInSet of strings
          for (const auto& v : g->str_set) add(f.exact[v]);
          break;
      }
    }
  }
  return index;
}

void CandidateRules(const Program& program, const Facts& facts, std::vector<uint64_t>* candidates) {
  const RuleIndex& index = program.index;
  candidates->assign((index.rule_count + 63) / 64, 0);
  uint64_t* bits = candidates->data();
  auto mark = [bits](const std::vector<uint32_t>& list) {
    for (uint32_t r : list) bits[r >> 6] |= uint64_t{1} << (r & 63);
  };
  mark(index.unguarded);
  for (const auto& f : index.fields) {
    for (const Value& v : facts.values[f.field]) {
      if (v.type != Type::kString) continue;
      if (!f.exact.empty()) {
        auto it = f.exact.find(v.str);
        if (it != f.exact.end()) mark(it->second);
      }
      for (uint32_t len : f.prefix_lengths) {
        if (len > v.str.size()) break;
        auto it = f.prefix.find(v.str.substr(0, len));
        if (it != f.prefix.end()) mark(it->second);
      }
    }
  }
  // List atoms normalise each value of their field once per list kind,
  // however many lists ask.
  struct Norms {
    int field;
    ListKind kind;
    std::vector<std::string> values;  // one per string element
  };
  std::vector<Norms> norms;
  for (const auto& [r, g] : index.tested) {
    if (bits[r >> 6] & (uint64_t{1} << (r & 63))) continue;
    bool holds;
    if (g->op == Op::kInList) {
      const NamedList& list = program.lists[g->list];
      const int field = g->kids[0]->field;
      auto it = std::find_if(norms.begin(), norms.end(), [&](const Norms& n) {
        return n.field == field && n.kind == list.kind;
      });
      if (it == norms.end()) {
        norms.push_back({field, list.kind, {}});
        for (const Value& v : facts.values[field]) {
          if (v.type == Type::kString)
            norms.back().values.push_back(NormaliseForList(list.kind, v.str));
        }
        it = norms.end() - 1;
      }
      holds = std::any_of(it->values.begin(), it->values.end(),
                          [&](const std::string& v) { return ListContains(list, v); });
    } else {
      holds = GuardHolds(*g, program, facts);
    }
    if (holds) bits[r >> 6] |= uint64_t{1} << (r & 63);
  }
  // A guarded rule that may exceed its step budget on this document is
  // evaluated whatever its guards say, so the exhaustion is reported. That
  // takes a large document; the per-depth maximum rules it out cheaply.
  double largest = 1;
  for (uint32_t c : facts.count) largest = std::max(largest, static_cast<double>(c));
  bool any = false;
  for (size_t d = 0; d < index.max_nodes_by_depth.size() && !any; ++d) {
    double steps = static_cast<double>(index.max_nodes_by_depth[d]);
    for (size_t i = 0; i < d; ++i) steps *= largest;
    any = steps > static_cast<double>(kMaxSteps);
  }
  if (!any) return;
  for (uint32_t r = 0; r < program.rules.size(); ++r) {
    if (!program.rules[r].guards.empty() && MayExhaust(program.rules[r], facts)) {
      bits[r >> 6] |= uint64_t{1} << (r & 63);
    }
  }
}

}  // namespace outpost::risk::internal
