// The rule index: which rules an assessment needs to evaluate.
//
// Invariants:
//  1. CandidateRules marks exactly the rules the per-rule test
//     `GuardsHold(rule) || MayExhaust(rule)` accepts, so an
//     indexed assessment evaluates the same rules, in the same (ruleset)
//     order, as one that tests every guard (tested on random rules and
//     movements: risk_test's indexed_assessment_equals_unindexed).
//  2. A rule's guards are clauses of atoms on one field each (FindGuards);
//     each clause must have an atom that holds. The first clause is looked
//     up: its string atoms by the element's value (`=`, `in { ... }`) or by
//     each of its prefixes whose length some atom uses (`startswith`); its
//     list atoms the same way, keyed by the list's entries and the value
//     normalised for the list (HS lists by prefix), unless the list is large;
//     number atoms (but `=`) by the field's smallest and largest value
//     (RuleIndex::NumberRules); `=` and large lists' atoms are tested one by
//     one, only for rules not already marked. The other clauses are tested only for rules
//     the first marks. The index holds list entries: Engine::AddList rebuilds it.
#include <algorithm>
#include <bit>

#include "risk/program.h"

namespace outpost::risk::internal {

namespace {

void AddPrefix(RuleIndex::FieldRules* f, std::string_view prefix, uint32_t r) {
  auto& list = f->prefix[std::string(prefix)];
  if (list.empty() || list.back() != r) list.push_back(r);
  const auto len = static_cast<uint32_t>(prefix.size());
  auto it = std::lower_bound(f->prefix_lengths.begin(), f->prefix_lengths.end(), len);
  if (it == f->prefix_lengths.end() || *it != len) f->prefix_lengths.insert(it, len);
}

void AddExact(RuleIndex::FieldRules* f, std::string_view value, uint32_t r) {
  auto& list = f->exact[std::string(value)];
  if (list.empty() || list.back() != r) list.push_back(r);
}

// Marks the rules of f that value selects.
void Lookup(const RuleIndex::FieldRules& f, std::string_view value, uint64_t* bits) {
  auto mark = [bits](const std::vector<uint32_t>& list) {
    for (uint32_t r : list) bits[r >> 6] |= uint64_t{1} << (r & 63);
  };
  if (!f.exact.empty()) {
    auto it = f.exact.find(value);
    if (it != f.exact.end()) mark(it->second);
  }
  for (uint32_t len : f.prefix_lengths) {
    if (len > value.size()) break;
    auto it = f.prefix.find(value.substr(0, len));
    if (it != f.prefix.end()) mark(it->second);
  }
}

}  // namespace

RuleIndex BuildRuleIndex(const Program& program) {
  const std::vector<Rule>& rules = program.rules;
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
  auto list_rules = [&](int field, ListKind kind) -> RuleIndex::FieldRules& {
    for (auto& l : index.lists) {
      if (l.rules.field == field && l.kind == kind) return l.rules;
    }
    index.lists.emplace_back();
    index.lists.back().kind = kind;
    index.lists.back().rules.field = field;
    return index.lists.back().rules;
  };
  // Rules are visited in order, so each rule list stays ascending.
  for (uint32_t r = 0; r < rules.size(); ++r) {
    if (rules[r].guards.empty()) {
      index.unguarded.push_back(r);
      continue;
    }
    const size_t depth = static_cast<size_t>(rules[r].depth);
    if (index.max_nodes_by_depth.size() <= depth) index.max_nodes_by_depth.resize(depth + 1, 0);
    index.max_nodes_by_depth[depth] = std::max(index.max_nodes_by_depth[depth], rules[r].nodes);
    if (rules[r].guards.size() > 1) {
      index.multi_clause.resize((rules.size() + 63) / 64, 0);
      index.multi_clause[r >> 6] |= uint64_t{1} << (r & 63);
    }
    for (const Node* g : rules[r].guards[0]) {
      if (g->op == Op::kInList &&
          program.lists[g->list].entries.size() <= kMaxInvertedListEntries) {
        const NamedList& list = program.lists[g->list];
        RuleIndex::FieldRules& f = list_rules(g->kids[0]->field, list.kind);
        for (const auto& e : list.entries) {
          if (e.empty()) continue;  // "" is in no list (ListContains)
          if (list.kind == ListKind::kHs) {
            AddPrefix(&f, e, r);
          } else {
            AddExact(&f, e, r);
          }
        }
        continue;
      }
      if (g->op == Op::kCmp && g->kids[0]->type == Type::kNumber && g->cmp != CmpOp::kEq) {
        auto it = std::find_if(index.numbers.begin(), index.numbers.end(), [&](const auto& n) {
          return n.field == g->kids[0]->field && n.op == g->cmp;
        });
        if (it == index.numbers.end()) {
          index.numbers.push_back({g->kids[0]->field, g->cmp, {}});
          it = index.numbers.end() - 1;
        }
        it->by_constant.emplace_back(g->kids[1]->constant.num, r);
        continue;
      }
      if (!IsStringAtom(*g)) {
        index.tested.emplace_back(r, g);
        continue;
      }
      RuleIndex::FieldRules& f = field_rules(g->kids[0]->field);
      switch (g->op) {
        case Op::kCmp:
          AddExact(&f, g->kids[1]->constant.str, r);
          break;
        case Op::kStartsWith:
          AddPrefix(&f, g->kids[1]->constant.str, r);
          break;
        default:  // kInSet of strings
          for (const auto& v : g->str_set) AddExact(&f, v, r);
          break;
      }
    }
  }
  for (auto& n : index.numbers) std::sort(n.by_constant.begin(), n.by_constant.end());
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
      if (v.type == Type::kString) Lookup(f, v.str, bits);
    }
  }
  for (const auto& l : index.lists) {
    for (const Value& v : facts.values[l.rules.field]) {
      if (v.type != Type::kString) continue;
      const std::string norm = NormaliseForList(l.kind, v.str);
      if (!norm.empty()) Lookup(l.rules, norm, bits);
    }
  }
  for (const auto& n : index.numbers) {
    bool any = false, nan = false;
    double lo = 0, hi = 0;
    for (const Value& v : facts.values[n.field]) {
      if (v.type != Type::kNumber) continue;
      if (v.num != v.num) {
        nan = true;
        continue;
      }
      lo = any ? std::min(lo, v.num) : v.num;
      hi = any ? std::max(hi, v.num) : v.num;
      any = true;
    }
    const auto& list = n.by_constant;
    auto mark_range = [bits, &list](size_t from, size_t to) {
      for (size_t i = from; i < to; ++i)
        bits[list[i].second >> 6] |= uint64_t{1} << (list[i].second & 63);
    };
    const bool or_equal = n.op == CmpOp::kGe || n.op == CmpOp::kLe;
    if (nan && or_equal) {
      mark_range(0, list.size());
      continue;
    }
    if (!any) continue;
    auto first_at_least = [&](double x) {  // first constant >= x
      return static_cast<size_t>(
          std::lower_bound(list.begin(), list.end(), x,
                           [](const auto& e, double v) { return e.first < v; }) -
          list.begin());
    };
    auto first_above = [&](double x) {  // first constant > x
      return static_cast<size_t>(
          std::upper_bound(list.begin(), list.end(), x,
                           [](double v, const auto& e) { return v < e.first; }) -
          list.begin());
    };
    switch (n.op) {
      case CmpOp::kGt:  // c < hi
        mark_range(0, first_at_least(hi));
        break;
      case CmpOp::kGe:  // c <= hi
        mark_range(0, first_above(hi));
        break;
      case CmpOp::kLt:  // c > lo
        mark_range(first_above(lo), list.size());
        break;
      default:  // kLe: c >= lo
        mark_range(first_at_least(lo), list.size());
        break;
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
  auto holds = [&](const Node* g) {
    if (g->op != Op::kInList) return GuardHolds(*g, program, facts);
    const NamedList& list = program.lists[g->list];
    const int field = g->kids[0]->field;
    auto it = std::find_if(norms.begin(), norms.end(),
                           [&](const Norms& n) { return n.field == field && n.kind == list.kind; });
    if (it == norms.end()) {
      norms.push_back({field, list.kind, {}});
      for (const Value& v : facts.values[field]) {
        if (v.type == Type::kString) {
          norms.back().values.push_back(NormaliseForList(list.kind, v.str));
        }
      }
      it = norms.end() - 1;
    }
    return std::any_of(it->values.begin(), it->values.end(),
                       [&](const std::string& v) { return ListContains(list, v); });
  };
  auto marked = [bits](uint32_t r) { return (bits[r >> 6] & (uint64_t{1} << (r & 63))) != 0; };
  for (const auto& [r, g] : index.tested) {
    if (!marked(r) && holds(g)) bits[r >> 6] |= uint64_t{1} << (r & 63);
  }
  // The first clause holds; so must the others.
  // Only the marked ones: a word at a time, in rule order.
  for (size_t w = 0; w < index.multi_clause.size(); ++w) {
    for (uint64_t m = bits[w] & index.multi_clause[w]; m != 0; m &= m - 1) {
      const uint32_t r = static_cast<uint32_t>(w * 64 + static_cast<size_t>(std::countr_zero(m)));
      const auto& clauses = program.rules[r].guards;
      for (size_t c = 1; c < clauses.size(); ++c) {
        if (std::none_of(clauses[c].begin(), clauses[c].end(), holds)) {
          bits[w] &= ~(uint64_t{1} << (r & 63));
          break;
        }
      }
    }
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
