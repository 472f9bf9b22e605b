// A compiled ruleset: the typed expression tree and the ruleset parameters.
// Internal to risk/; built by CompileProgram (parser.cc), run by
// Evaluate (eval.cc), owned by Engine.
#ifndef OUTPOST_RISK_PROGRAM_H_
#define OUTPOST_RISK_PROGRAM_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "risk/engine.h"
#include "risk/facts.h"
#include "risk/watchlist.h"

namespace outpost::risk::internal {

enum class Op : uint8_t {
  kConst,  // constant
  kField,  // field (field), element chosen by the binding of its collection
  kAnd,
  kOr,
  kNot,
  kCmp,  // kids[0] cmp kids[1]
  kStartsWith,
  kEndsWith,
  kContains,
  kInList,   // kids[0] in list (list)
  kInSet,    // kids[0] in { set }
  kBetween,  // kids[1] <= kids[0] <= kids[2]
  kAny,
  kAll,        // quantifier over (coll), body kids[0]
  kCount,      // count (coll) [where kids[0]]
  kCall,       // (func)(kids...)
  kWatchlist,  // watchlist (list) matches kids[0] [fuzzy threshold]
  kHistory,    // history.crossings(kids[0], duration)
  kArith,      // kids[0] (arith) kids[1]; kNeg: -kids[0]
};

enum class ArithOp : uint8_t { kAdd, kSub, kMul, kDiv, kNeg };

enum class CmpOp : uint8_t { kEq, kNe, kLt, kLe, kGt, kGe };

enum class Func : uint8_t {
  kHour,
  kLocalHour,
  kWeekday,
  kAge,
  kLength,
  kValidIso6346,
  kValidVin,
  kExists,
  kMissing,
  kUpper,
  kAbs,
};

struct TransparentHash {
  using is_transparent = void;
  size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
};
using StringSet = std::unordered_set<std::string, TransparentHash, std::equal_to<>>;

struct Node {
  Op op = Op::kConst;
  Type type = Type::kMissing;  // result type
  int line = 0, col = 0;
  CmpOp cmp = CmpOp::kEq;
  Func func = Func::kHour;
  ArithOp arith = ArithOp::kAdd;
  bool implicit = false;  // kAny inserted for a bare field reference
  int field = -1;
  int coll = -1;
  int list = -1;
  double threshold = 1.0;
  int64_t duration = 0;
  Value constant;
  std::string const_storage;  // backs constant.str (nodes never move: unique_ptr)
  StringSet str_set;
  std::vector<double> num_set;
  std::vector<std::unique_ptr<Node>> kids;
  // kAnd/kOr: the order to evaluate kids in when no explanation is recorded,
  // cheapest first (see PlanEvaluation); empty = as written.
  std::vector<uint32_t> order;
};

struct NamedList {
  std::string name;
  ListKind kind = ListKind::kString;
  StringSet entries;
  size_t max_len = 0;  // longest entry, for prefix (HS) lookups
};

struct NamedWatchlist {
  std::string name;
  std::unique_ptr<Watchlist> list;
};

struct Rule {
  std::string id;
  int version = 1;
  std::string owner, description, instructions;
  bool shadow = false;
  std::vector<std::string> crossings;                       // empty = all
  uint32_t directions = 0;                                  // bit mask over kDirections; 0 = all
  uint32_t modes = 0;                                       // bit mask over kModes; 0 = all
  int64_t valid_from = INT64_MIN, valid_until = INT64_MAX;  // [from, until)
  int score = 0;
  std::optional<Lane> forced, floor;
  std::unique_ptr<Node> when;
  int line = 0;
  // Necessary conditions (see FindGuards): clauses, each a list of atoms of
  // which some element must pass at least one for the condition to be true.
  // guards[0] is the clause the RuleIndex looks up; empty if none.
  std::vector<std::vector<const Node*>> guards;
  // Size of `when` and its any/all/count nesting: evaluation takes at most
  // nodes * (largest collection)^depth steps.
  int64_t nodes = 0;
  int depth = 0;
};

// Rules by guard value (rule_index.cc), so an assessment visits only the
// rules whose guard some element of the movement passes, plus the unguarded
// ones, instead of testing 1,000 guards one by one. Rule numbers are indexes
// into Program::rules; each list is ascending.
struct RuleIndex {
  struct FieldRules {
    int field = -1;
    // `field = "x"` and `field in { "x", ... }`: value -> rules.
    std::unordered_map<std::string, std::vector<uint32_t>, TransparentHash, std::equal_to<>> exact;
    // `field startswith "x"`: prefix -> rules; the distinct prefix lengths, ascending.
    std::unordered_map<std::string, std::vector<uint32_t>, TransparentHash, std::equal_to<>> prefix;
    std::vector<uint32_t> prefix_lengths;
  };
  std::vector<FieldRules> fields;
  // `field in list "L"` atoms of first clauses, for lists of at most
  // kMaxInvertedListEntries entries: the same lookups keyed by the entries of
  // the lists (normalised by `kind`; HS lists by prefix, like startswith).
  struct ListRules {
    ListKind kind = ListKind::kString;
    FieldRules rules;
  };
  std::vector<ListRules> lists;
  // `field OP number` atoms of first clauses, OP one of < <= > >=: by
  // constant, ascending. Some element passes `> c` iff the field's largest
  // value is above c, so the rules marked are a prefix (> >=) or a suffix
  // (< <=) of the list. A NaN value ("nan" in the document) compares equal
  // to everything, as in evaluation, so it passes every <= and >= atom.
  struct NumberRules {
    int field = -1;
    CmpOp op = CmpOp::kGt;
    std::vector<std::pair<double, uint32_t>> by_constant;
  };
  std::vector<NumberRules> numbers;
  std::vector<uint32_t> unguarded;
  // Atoms of first clauses that are not looked up by value (list, number)
  // with their rule, in rule order: tested one by one, for rules not marked
  // already.
  std::vector<std::pair<uint32_t, const Node*>> tested;
  // Rules with more than one clause, as a bit set over rule numbers (like the
  // candidates): the other clauses are tested once the first holds.
  std::vector<uint64_t> multi_clause;
  // Largest Rule::nodes among guarded rules, per any/all/count depth: a cheap
  // test of whether any guarded rule may exhaust its budget (MayExhaust).
  std::vector<int64_t> max_nodes_by_depth;
  size_t rule_count = 0;
};

inline constexpr std::string_view kDirections[] = {"in", "out"};
inline constexpr std::string_view kModes[] = {"road", "rail", "air", "sea"};

struct Program {
  std::string ruleset_id;
  int version = 0;
  std::optional<int64_t> issued;
  int yellow = 40, red = 70;
  double random_rate = 0;
  Lane random_lane = Lane::kRed;
  int64_t stale_after = 0;  // 0 = never stale
  double stale_random_rate = 0;
  std::vector<NamedList> lists;
  std::vector<NamedWatchlist> watchlists;
  std::vector<Rule> rules;
  RuleIndex index;  // built by CompileProgram after the rules
};

// Limits that keep compilation and evaluation bounded on hostile input.
inline constexpr size_t kMaxSourceBytes = 4 << 20;
inline constexpr int kMaxDepth = 48;
inline constexpr int kMaxQuantifierNesting = 3;

// Normalises a value for lookup in a list of `kind`, and adds entries.
std::string NormaliseForList(ListKind kind, std::string_view s);
void AddToList(NamedList* list, const std::vector<std::string>& entries);

// Parses and type-checks a ruleset. Errors: kInvalidArgument "line:col: message".
Result<std::unique_ptr<Program>> CompileProgram(std::string_view text);

// Evaluation of one rule's condition over extracted facts.
struct TraceEntry {
  enum Kind : uint8_t { kField, kWatch, kHistory, kCount } kind;
  int32_t a = 0, b = 0;  // field/element, list/entry, -, coll/-
  double d = 0;          // similarity, count
};

// Per-assessment memo of work that does not depend on the rule: list
// normalisation of a field's value, history counts and watchlist lookups
// (keyed by field and element), so 1,000 rules testing the same plate
// normalise it once and ask the HistoryProvider once.
struct EvalCache {
  struct Norm {
    int tag, field;  // tag: ListKind, or 16 + WatchKind
    int32_t elem;
    std::string value;
  };
  struct History {
    int field;
    int32_t elem;
    int64_t duration, count;
  };
  struct Watch {
    int list, field;
    int32_t elem;
    double threshold;
    std::optional<Watchlist::Match> match;
  };
  std::vector<Norm> norms;
  std::vector<History> history;
  std::vector<Watch> watch;
  bool warned_history = false;        // "no history provider" is said once
  bool warned_history_error = false;  // so is a provider's error
};

struct EvalContext {
  const Program* program;
  const Facts* facts;
  HistoryProvider* history;
  int64_t now;
  int64_t movement_time;  // the movement's time, or now if it has none
  std::vector<std::string>* warnings;
  EvalCache* cache;  // not owned; per assessment
};

// Returns true if the condition holds (false for false and unknown), with
// the values that made it hold in *trace. Bounded: gives up (false, warning)
// after kMaxSteps node evaluations.
inline constexpr int64_t kMaxSteps = 2'000'000;
//
// With `planned`, and/or operands are evaluated in their planned order
// (Node::order): the result is the same (Kleene logic does not depend on the
// order) but the trace order differs, so the engine evaluates planned first
// and re-evaluates a rule that hits as written, for the explanation.
bool EvaluateRule(const Rule& rule, const EvalContext& ctx, std::vector<TraceEntry>* trace,
                  bool* exhausted, bool planned = false);
// Sets Node::order for every and/or under `root`: operands by a static cost
// estimate, cheapest first (comparisons before quantifiers before list,
// watchlist and history lookups). Called once by CompileProgram.
void PlanEvaluation(Node* root);
// Guards: tests on one field ("atoms") grouped in clauses, such that the
// condition cannot be true unless, for every clause, some element of the
// movement passes at least one of its atoms; a rule with a clause no element
// satisfies is skipped unevaluated. Atoms:
//  - string: `field = "x"`, `field startswith "x"`, `field in { "x", .. }`
//    (looked up in the RuleIndex);
//  - `field in list "L"` on a string field;
//  - `field OP number` on a number field, OP one of = < <= > >=.
// Found from the root through `and` operands and `any` bodies (the clauses
// of every operand), `or` (one clause: the union of one clause of each
// operand, of string atoms if it has one; none if an operand has none) and `count C where W` when
// compared so that the count must be at least 1 (W's clauses); never through `not`, `all` or a
// count that may be 0, where a false test can still leave the whole true. A clause of string atoms
// only is moved first. Returns false (and appends nothing) if there are none.
bool FindGuards(const Node& root, std::vector<std::vector<const Node*>>* clauses);
// False if no element of the atom's field passes it.
bool GuardHolds(const Node& atom, const Program& program, const Facts& facts);
// True if every clause of the rule's guards has an atom some element passes
// (so true if it has none).
bool GuardsHold(const Rule& rule, const Program& program, const Facts& facts);
// True for a string atom (the ones the RuleIndex looks up by value).
bool IsStringAtom(const Node& n);
// Membership of an already normalised value, as `in list` evaluates it
// (HS lists by prefix; "" is in no list).
bool ListContains(const NamedList& list, std::string_view normalised);
// The comparison `a OP b` of two numbers, as `=`, `<`, ... evaluate it.
bool CompareNumbers(CmpOp op, double a, double b);
// Builds the index from the rules' first guard clauses (Rule::guards) and
// the lists' entries: rebuilt whenever a list gains entries.
inline constexpr size_t kMaxInvertedListEntries = 100'000;
RuleIndex BuildRuleIndex(const Program& program);
// Sets bit r of *candidates (one bit per rule) for every rule that may hit on
// these facts as far as guards tell: exactly the rules for which
// `GuardsHold || MayExhaust` is true.
void CandidateRules(const Program& program, const Facts& facts, std::vector<uint64_t>* candidates);
// Counts the nodes of `n` and its deepest any/all/count nesting.
void MeasureRule(const Node& n, int64_t* nodes, int* depth);
// True if the rule may exceed kMaxSteps on these facts. Such a rule is always
// evaluated (never skipped by its guard), so the budget is still reported.
bool MayExhaust(const Rule& rule, const Facts& facts);
// "consignments[0].goods[0].hs_code=240220", one per distinct trace entry.
std::vector<std::string> FormatTrace(const std::vector<TraceEntry>& trace, const EvalContext& ctx);

// How an assessment picks the rules to evaluate (after scope and validity).
enum class RuleSelection {
  kIndexed,    // Engine::Assess: CandidateRules (the RuleIndex)
  kEachGuard,  // AnyGuardHolds || MayExhaust, rule by rule
  kEveryRule,  // no guards: every rule is evaluated
};
// Engine::Assess with a choice of rule selection, for tests: the three give
// the same assessment, except that kEveryRule may also warn about history
// counts (no provider) for rules the others skip.
Assessment AssessProgram(const Program& program, const nlohmann::json& movement,
                         std::string_view movement_id, int64_t now_micros,
                         const AssessContext& context, RuleSelection selection);

struct EngineAccess {
  static const Program& Of(const Engine& engine) { return *engine.program_; }
};

// Calendar helpers (UTC, proleptic Gregorian).
int64_t HourOf(int64_t micros);
int64_t LocalHourOf(int64_t micros);  // Central European Time with EU summer time
int64_t WeekdayOf(int64_t micros);    // ISO: Monday 1 .. Sunday 7
int64_t AgeInYears(int64_t birth_micros, int64_t at_micros);

}  // namespace outpost::risk::internal

#endif  // OUTPOST_RISK_PROGRAM_H_
