// Evaluation of compiled conditions over Facts, in three-valued logic: a
// missing field makes a comparison unknown, `not unknown` is unknown, and
// and/or/any/all follow Kleene's rules. A rule hits only when its condition
// is true, so a missing value can neither trigger nor (through `not`)
// invert a test; use exists()/missing() to test for absence.
#include <algorithm>
#include <charconv>
#include <cmath>

#include "base/clock.h"
#include "risk/normalise.h"
#include "risk/program.h"
#include "risk/validators.h"

namespace outpost::risk::internal {
namespace {

constexpr int64_t kMicrosPerHour = 3'600'000'000LL;
constexpr int64_t kMicrosPerDay = 24 * kMicrosPerHour;

int64_t FloorDiv(int64_t a, int64_t b) { return a / b - ((a % b != 0) && ((a < 0) != (b < 0))); }

// Howard Hinnant's days_from_civil / civil_from_days.
int64_t DaysFromCivil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

void CivilFromDays(int64_t z, int64_t* y, unsigned* m, unsigned* d) {
  z += 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const unsigned doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  *d = doy - (153 * mp + 2) / 5 + 1;
  *m = mp < 10 ? mp + 3 : mp - 9;
  *y = static_cast<int64_t>(yoe) + era * 400 + (*m <= 2);
}

// Days since the epoch of the last Sunday of the month (31-day months only).
int64_t LastSunday(int64_t y, unsigned m) {
  int64_t day = DaysFromCivil(y, m, 31);
  int64_t sunday0 = ((day % 7) + 7 + 4) % 7;  // 0 = Sunday; day 0 was a Thursday
  return day - sunday0;
}

Value Bool(bool b) {
  Value v;
  v.type = Type::kBool;
  v.b = b;
  return v;
}
Value Number(double x) {
  Value v;
  v.type = Type::kNumber;
  v.num = x;
  return v;
}
Value Finite(double x) { return std::isfinite(x) ? Number(x) : Value{}; }
bool IsTrue(const Value& v) { return v.type == Type::kBool && v.b; }
bool IsFalse(const Value& v) { return v.type == Type::kBool && !v.b; }

class Evaluator {
 public:
  Evaluator(const EvalContext& ctx, std::vector<TraceEntry>* trace, bool planned)
      : ctx_(ctx), f_(*ctx.facts), trace_(trace), planned_(planned) {
    cur_.fill(-1);
    cur_[kMovement] = 0;
  }

  Value Eval(const Node& n) {
    if (++steps_ > kMaxSteps) {
      exhausted_ = true;
      return {};
    }
    switch (n.op) {
      case Op::kConst:
        return n.constant;
      case Op::kField: {
        Coll c = fields_[n.field].coll;
        int32_t i = cur_[c];
        if (i < 0) return {};
        const Value& v = f_.values[n.field][i];
        if (!v.missing()) trace_->push_back({TraceEntry::kField, n.field, i, 0});
        return v;
      }
      case Op::kAnd: {
        size_t mark = trace_->size();
        bool unknown = false;
        for (size_t i = 0; i < n.kids.size(); ++i) {
          Value v = Eval(Kid(n, i));
          if (IsFalse(v)) {
            trace_->resize(mark);
            return Bool(false);
          }
          unknown = unknown || v.missing();
        }
        if (unknown) {
          trace_->resize(mark);
          return {};
        }
        return Bool(true);
      }
      case Op::kOr: {
        bool unknown = false;
        for (size_t i = 0; i < n.kids.size(); ++i) {
          size_t mark = trace_->size();
          Value v = Eval(Kid(n, i));
          if (IsTrue(v)) return v;
          trace_->resize(mark);
          unknown = unknown || v.missing();
        }
        return unknown ? Value{} : Bool(false);
      }
      case Op::kNot: {
        size_t mark = trace_->size();
        Value v = Eval(*n.kids[0]);
        if (v.missing() || IsTrue(v)) {
          trace_->resize(mark);
          return v.missing() ? Value{} : Bool(false);
        }
        return Bool(true);
      }
      case Op::kCmp: {
        Value a = Eval(*n.kids[0]);
        Value b = Eval(*n.kids[1]);
        if (a.missing() || b.missing()) return {};
        int c;
        switch (a.type) {
          case Type::kNumber:
            c = a.num < b.num ? -1 : a.num > b.num ? 1 : 0;
            break;
          case Type::kTime:
            c = a.micros < b.micros ? -1 : a.micros > b.micros ? 1 : 0;
            break;
          case Type::kString:
            c = a.str.compare(b.str);
            break;
          case Type::kBool:
            c = a.b == b.b ? 0 : 1;
            break;
          default:
            return {};
        }
        switch (n.cmp) {
          case CmpOp::kEq:
            return Bool(c == 0);
          case CmpOp::kNe:
            return Bool(c != 0);
          case CmpOp::kLt:
            return Bool(c < 0);
          case CmpOp::kLe:
            return Bool(c <= 0);
          case CmpOp::kGt:
            return Bool(c > 0);
          case CmpOp::kGe:
            return Bool(c >= 0);
        }
        return {};
      }
      case Op::kStartsWith:
      case Op::kEndsWith:
      case Op::kContains: {
        Value a = Eval(*n.kids[0]);
        Value b = Eval(*n.kids[1]);
        if (a.missing() || b.missing()) return {};
        if (n.op == Op::kStartsWith) return Bool(a.str.starts_with(b.str));
        if (n.op == Op::kEndsWith) return Bool(a.str.ends_with(b.str));
        return Bool(a.str.find(b.str) != std::string_view::npos);
      }
      case Op::kInList: {
        Value a = Eval(*n.kids[0]);
        if (a.missing()) return {};
        const NamedList& list = ctx_.program->lists[n.list];
        return Bool(ListContains(list, Normalised(*n.kids[0], static_cast<int>(list.kind), a.str)));
      }
      case Op::kInSet: {
        Value a = Eval(*n.kids[0]);
        if (a.missing()) return {};
        if (a.type == Type::kString) return Bool(n.str_set.find(a.str) != n.str_set.end());
        return Bool(std::find(n.num_set.begin(), n.num_set.end(), a.num) != n.num_set.end());
      }
      case Op::kBetween: {
        Value a = Eval(*n.kids[0]);
        Value lo = Eval(*n.kids[1]);
        Value hi = Eval(*n.kids[2]);
        if (a.missing() || lo.missing() || hi.missing()) return {};
        if (a.type == Type::kTime) return Bool(lo.micros <= a.micros && a.micros <= hi.micros);
        return Bool(lo.num <= a.num && a.num <= hi.num);
      }
      case Op::kAny:
      case Op::kAll:
      case Op::kCount:
        return Quantify(n);
      case Op::kCall:
        return Call(n);
      case Op::kArith:
        return Arith(n);
      case Op::kWatchlist: {
        Value a = Eval(*n.kids[0]);
        if (a.missing()) return {};
        auto m = FindInWatchlist(n, a.str);
        if (!m) return Bool(false);
        trace_->push_back(
            {TraceEntry::kWatch, n.list, static_cast<int32_t>(m->entry), m->similarity});
        return Bool(true);
      }
      case Op::kHistory: {
        Value a = Eval(*n.kids[0]);
        if (a.missing()) return {};
        if (ctx_.history == nullptr) {
          if (!ctx_.cache->warned_history)
            ctx_.warnings->push_back("history: no history provider; history counts are unknown");
          ctx_.cache->warned_history = true;
          return {};
        }
        std::optional<int64_t> count = CountCrossings(n, a.str);
        if (!count) return {};
        trace_->push_back({TraceEntry::kHistory, static_cast<int32_t>(n.duration / kMicrosPerHour),
                           0, static_cast<double>(*count)});
        return Number(static_cast<double>(*count));
      }
    }
    return {};
  }

  bool exhausted() const { return exhausted_; }

 private:
  const Node& Kid(const Node& n, size_t i) const {
    return *n.kids[planned_ && !n.order.empty() ? n.order[i] : i];
  }
  // The element the field node `k` reads, or -1 if `k` is not a field.
  int32_t ElementOf(const Node& k) const {
    return k.op == Op::kField ? cur_[fields_[k.field].coll] : -1;
  }

  // `value` (the result of kid `k`) normalised by tag, memoised per field
  // and element for the assessment.
  const std::string& Normalised(const Node& k, int tag, std::string_view value) {
    const int32_t elem = ElementOf(k);
    auto& norms = ctx_.cache->norms;
    if (elem >= 0) {
      for (const auto& e : norms) {
        if (e.tag == tag && e.field == k.field && e.elem == elem) return e.value;
      }
    }
    std::string v = tag >= 16 ? Watchlist::NormaliseAs(static_cast<WatchKind>(tag - 16), value)
                              : NormaliseForList(static_cast<ListKind>(tag), value);
    if (elem < 0) {
      scratch_ = std::move(v);
      return scratch_;
    }
    norms.push_back({tag, k.field, elem, std::move(v)});
    return norms.back().value;
  }

  std::optional<Watchlist::Match> FindInWatchlist(const Node& n, std::string_view value) {
    const Node& k = *n.kids[0];
    const int32_t elem = ElementOf(k);
    auto& memo = ctx_.cache->watch;
    if (elem >= 0) {
      for (const auto& e : memo) {
        if (e.list == n.list && e.field == k.field && e.elem == elem && e.threshold == n.threshold)
          return e.match;
      }
    }
    const Watchlist& wl = *ctx_.program->watchlists[n.list].list;
    auto m = wl.Find(Normalised(k, 16 + static_cast<int>(wl.kind()), value), n.threshold);
    if (elem >= 0) memo.push_back({n.list, k.field, elem, n.threshold, m});
    return m;
  }

  // The count, or nullopt (with a warning) if the provider failed.
  std::optional<int64_t> CountCrossings(const Node& n, std::string_view plate) {
    const Node& k = *n.kids[0];
    const int32_t elem = ElementOf(k);
    auto& memo = ctx_.cache->history;
    if (elem >= 0) {
      for (const auto& e : memo) {
        if (e.field == k.field && e.elem == elem && e.duration == n.duration) return e.count;
      }
    }
    Result<int64_t> count = ctx_.history->CountCrossings(plate, ctx_.now - n.duration);
    if (!count.ok()) {
      if (!ctx_.cache->warned_history_error) {
        ctx_.warnings->push_back("history: " + count.status().message() +
                                 "; history counts are unknown");
      }
      ctx_.cache->warned_history_error = true;
      return std::nullopt;
    }
    if (elem >= 0) memo.push_back({k.field, elem, n.duration, *count});
    return *count;
  }

  // True if element i of c belongs to the currently bound ancestors.
  bool InScope(Coll c, int32_t i) const {
    for (Coll cc = c; colls_[cc].parent != kMovement; cc = colls_[cc].parent) {
      Coll p = colls_[cc].parent;
      i = f_.parent[cc][i];
      if (cur_[p] >= 0 && cur_[p] != i) return false;
    }
    return true;
  }
  void BindElement(Coll c, int32_t i) {
    cur_[c] = i;
    for (Coll cc = c; colls_[cc].parent != kMovement; cc = colls_[cc].parent) {
      i = f_.parent[cc][i];
      cur_[colls_[cc].parent] = i;
    }
  }

  Value Quantify(const Node& n) {
    const Coll c = static_cast<Coll>(n.coll);
    const auto saved = cur_;
    const size_t mark = trace_->size();
    bool unknown = false;
    int64_t count = 0;
    for (uint32_t i = 0; i < f_.count[c] && !exhausted_; ++i) {
      if (!InScope(c, static_cast<int32_t>(i))) continue;
      if (n.op == Op::kCount && n.kids.empty()) {
        ++count;
        continue;
      }
      BindElement(c, static_cast<int32_t>(i));
      size_t elem_mark = trace_->size();
      Value v = Eval(*n.kids[0]);
      cur_ = saved;
      if (n.op == Op::kAny && IsTrue(v)) return v;
      if (n.op == Op::kAll && IsFalse(v)) {
        trace_->resize(mark);
        return v;
      }
      if (n.op == Op::kCount) {
        count += IsTrue(v) ? 1 : 0;
        trace_->resize(elem_mark);
      } else if (n.op == Op::kAny) {
        trace_->resize(elem_mark);
      } else if (trace_->size() - mark > 16) {
        trace_->resize(elem_mark);  // all: keep the first few elements' values only
      }
      unknown = unknown || v.missing();
    }
    cur_ = saved;
    if (exhausted_) return {};
    if (n.op == Op::kCount) {
      Coll p = colls_[c].parent;
      trace_->push_back(
          {TraceEntry::kCount, c, p == kMovement ? -1 : cur_[p], static_cast<double>(count)});
      return Number(static_cast<double>(count));
    }
    if (unknown) {
      trace_->resize(mark);
      return {};
    }
    if (n.op == Op::kAny) return Bool(false);
    return Bool(true);
  }

  // Arithmetic in three-valued logic: a missing operand, a division by zero
  // and a result that is not a finite number (overflow; a field read as
  // "nan") are unknown, never inf or a crash.
  Value Arith(const Node& n) {
    Value a = Eval(*n.kids[0]);
    if (a.missing()) return {};
    if (n.arith == ArithOp::kNeg) return Finite(-a.num);
    Value b = Eval(*n.kids[1]);
    if (b.missing()) return {};
    switch (n.arith) {
      case ArithOp::kAdd:
        return Finite(a.num + b.num);
      case ArithOp::kSub:
        return Finite(a.num - b.num);
      case ArithOp::kMul:
        return Finite(a.num * b.num);
      case ArithOp::kDiv:  // x / 0 is an infinity or NaN: unknown, by Finite
        return Finite(a.num / b.num);
      default:
        return {};
    }
  }

  Value Call(const Node& n) {
    Value a = Eval(*n.kids[0]);
    switch (n.func) {
      case Func::kExists:
        return Bool(!a.missing());
      case Func::kMissing: {
        if (!a.missing()) return Bool(false);
        // Record which element lacks the field.
        Coll c = fields_[n.kids[0]->field].coll;
        trace_->push_back({TraceEntry::kField, n.kids[0]->field, cur_[c], -1});
        return Bool(true);
      }
      default:
        break;
    }
    if (a.missing()) return {};
    switch (n.func) {
      case Func::kHour:
        return Number(static_cast<double>(HourOf(a.micros)));
      case Func::kLocalHour:
        return Number(static_cast<double>(LocalHourOf(a.micros)));
      case Func::kWeekday:
        return Number(static_cast<double>(WeekdayOf(a.micros)));
      case Func::kAge:
        return Number(static_cast<double>(AgeInYears(a.micros, ctx_.movement_time)));
      case Func::kLength:
        return Number(static_cast<double>(a.str.size()));
      case Func::kAbs:
        return Finite(std::fabs(a.num));
      case Func::kUpper: {
        // Owned by the evaluator for the rest of this rule.
        owned_.push_back(std::make_unique<std::string>(FoldToAscii(a.str)));
        Value v;
        v.type = Type::kString;
        v.str = *owned_.back();
        return v;
      }
      case Func::kValidIso6346:
        return Bool(ValidIso6346(a.str));
      case Func::kValidVin:
        return Bool(ValidVin(a.str));
      default:
        return {};
    }
  }

  const EvalContext& ctx_;
  const Facts& f_;
  std::vector<TraceEntry>* trace_;
  const bool planned_;
  std::string scratch_;  // a normalised value that is not memoised
  std::array<int32_t, kNumColls> cur_;
  int64_t steps_ = 0;
  bool exhausted_ = false;
  // Lazily allocated (a deque allocates on construction; this runs per rule).
  std::vector<std::unique_ptr<std::string>> owned_;
  // The schema, looked up once per evaluator rather than per field read.
  const std::vector<FieldDef>& fields_ = Fields();
  const std::array<CollDef, kNumColls>& colls_ = Collections();
};

std::string FormatValue(const Value& v) {
  switch (v.type) {
    case Type::kString:
      return std::string(v.str);
    case Type::kBool:
      return v.b ? "true" : "false";
    case Type::kTime:
      return FormatUtcMicros(v.micros);
    case Type::kNumber: {
      char buf[32];
      auto r = std::to_chars(buf, buf + sizeof buf, v.num);
      return std::string(buf, r.ptr);
    }
    default:
      return "?";
  }
}

std::string FieldPath(const Facts& f, int field, int32_t i) {
  const FieldDef& def = Fields()[field];
  if (def.coll == kMovement) return std::string(def.path);
  std::string base = ElementPath(f, def.coll, i);
  if (def.coll == kRoute) return base;
  return base + "." + std::string(def.key.empty() ? "name" : def.key);
}

}  // namespace

int64_t HourOf(int64_t micros) {
  return FloorDiv(micros, kMicrosPerHour) - FloorDiv(micros, kMicrosPerDay) * 24;
}

int64_t LocalHourOf(int64_t t) {
  int64_t y;
  unsigned m, d;
  CivilFromDays(FloorDiv(t, kMicrosPerDay), &y, &m, &d);
  // EU summer time: last Sunday of March 01:00 UTC to last Sunday of October 01:00 UTC.
  int64_t start = LastSunday(y, 3) * kMicrosPerDay + kMicrosPerHour;
  int64_t end = LastSunday(y, 10) * kMicrosPerDay + kMicrosPerHour;
  int64_t offset = (t >= start && t < end) ? 2 : 1;
  return HourOf(t + offset * kMicrosPerHour);
}

int64_t WeekdayOf(int64_t micros) {
  int64_t days = FloorDiv(micros, kMicrosPerDay);
  return ((days % 7) + 7 + 3) % 7 + 1;
}

int64_t AgeInYears(int64_t birth, int64_t at) {
  int64_t y1, y2;
  unsigned m1, d1, m2, d2;
  CivilFromDays(FloorDiv(birth, kMicrosPerDay), &y1, &m1, &d1);
  CivilFromDays(FloorDiv(at, kMicrosPerDay), &y2, &m2, &d2);
  int64_t years = y2 - y1;
  if (m2 < m1 || (m2 == m1 && d2 < d1)) --years;
  return years;
}

bool EvaluateRule(const Rule& rule, const EvalContext& ctx, std::vector<TraceEntry>* trace,
                  bool* exhausted, bool planned) {
  trace->clear();
  Evaluator ev(ctx, trace, planned);
  Value v = ev.Eval(*rule.when);
  *exhausted = ev.exhausted();
  return IsTrue(v) && !*exhausted;
}

namespace {

// A rough relative cost of evaluating n once; collections are assumed to hold
// a few elements.
double Cost(const Node& n) {
  double kids = 0;
  for (const auto& k : n.kids) kids += Cost(*k);
  switch (n.op) {
    case Op::kConst:
      return 0;
    case Op::kField:
      return 1;
    case Op::kInList:
      return 8 + kids;
    case Op::kAny:
    case Op::kAll:
    case Op::kCount:
      return 4 * (2 + kids);
    case Op::kCall:
      return 4 + kids;
    case Op::kWatchlist:
      return 1000 + kids;
    case Op::kHistory:
      return 2000 + kids;
    default:
      return 1 + kids;
  }
}

}  // namespace

void PlanEvaluation(Node* n) {
  for (auto& k : n->kids) PlanEvaluation(k.get());
  if (n->op != Op::kAnd && n->op != Op::kOr) return;
  std::vector<double> cost;
  for (const auto& k : n->kids) cost.push_back(Cost(*k));
  std::vector<uint32_t> order(n->kids.size());
  for (uint32_t i = 0; i < order.size(); ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(),
                   [&](uint32_t a, uint32_t b) { return cost[a] < cost[b]; });
  if (!std::is_sorted(order.begin(), order.end())) n->order = std::move(order);
}

bool ListContains(const NamedList& list, std::string_view norm) {
  if (norm.empty()) return false;
  if (list.kind == ListKind::kHs) {
    for (size_t len = 1; len <= std::min(norm.size(), list.max_len); ++len) {
      if (list.entries.find(norm.substr(0, len)) != list.entries.end()) return true;
    }
    return false;
  }
  return list.entries.find(norm) != list.entries.end();
}

bool CompareNumbers(CmpOp op, double a, double b) {
  // As kCmp: c is 0 when neither is smaller (so NaN compares equal).
  const int c = a < b ? -1 : a > b ? 1 : 0;
  switch (op) {
    case CmpOp::kEq:
      return c == 0;
    case CmpOp::kNe:
      return c != 0;
    case CmpOp::kLt:
      return c < 0;
    case CmpOp::kLe:
      return c <= 0;
    case CmpOp::kGt:
      return c > 0;
    case CmpOp::kGe:
      return c >= 0;
  }
  return false;
}

bool IsStringAtom(const Node& n) {
  if (n.kids.empty() || n.kids[0]->op != Op::kField || n.kids[0]->type != Type::kString) {
    return false;
  }
  switch (n.op) {
    case Op::kCmp:
      return n.cmp == CmpOp::kEq && n.kids[1]->op == Op::kConst &&
             n.kids[1]->constant.type == Type::kString;
    case Op::kStartsWith:
      return n.kids[1]->op == Op::kConst && n.kids[1]->constant.type == Type::kString;
    case Op::kInSet:
      return n.num_set.empty();
    default:
      return false;
  }
}

namespace {

bool IsListAtom(const Node& n) {
  return n.op == Op::kInList && n.kids[0]->op == Op::kField && n.kids[0]->type == Type::kString;
}

bool IsNumberAtom(const Node& n) {
  return n.op == Op::kCmp && n.cmp != CmpOp::kNe && n.kids[0]->op == Op::kField &&
         n.kids[0]->type == Type::kNumber && n.kids[1]->op == Op::kConst &&
         n.kids[1]->constant.type == Type::kNumber;
}

// `count C where W OP k` true only if count >= 1.
bool CountAtLeastOne(const Node& n) {
  if (n.op != Op::kCmp || n.kids[0]->op != Op::kCount || n.kids[0]->kids.empty() ||
      n.kids[1]->op != Op::kConst || n.kids[1]->constant.type != Type::kNumber) {
    return false;
  }
  const double k = n.kids[1]->constant.num;
  switch (n.cmp) {
    case CmpOp::kEq:
    case CmpOp::kGe:
      return k > 0;
    case CmpOp::kGt:
      return k >= 0;
    default:
      return false;
  }
}

}  // namespace

namespace {

using Clauses = std::vector<std::vector<const Node*>>;

bool AllStringAtoms(const std::vector<const Node*>& clause) {
  return std::all_of(clause.begin(), clause.end(), [](const Node* a) { return IsStringAtom(*a); });
}

bool CollectGuards(const Node& n, Clauses* out) {
  if (IsStringAtom(n) || IsListAtom(n) || IsNumberAtom(n)) {
    out->push_back({&n});
    return true;
  }
  if (CountAtLeastOne(n)) return CollectGuards(*n.kids[0]->kids[0], out);
  if (n.op == Op::kAnd || n.op == Op::kAny) {
    bool any = false;
    for (const auto& k : n.kids) any = CollectGuards(*k, out) || any;
    return any;
  }
  if (n.op == Op::kOr) {
    std::vector<const Node*> clause;
    for (const auto& k : n.kids) {
      Clauses kid;
      if (!CollectGuards(*k, &kid)) return false;
      // Prefer an operand's clause of string atoms, as FindGuards does.
      auto it = std::find_if(kid.begin(), kid.end(), AllStringAtoms);
      const auto& c = it != kid.end() ? *it : kid.front();
      clause.insert(clause.end(), c.begin(), c.end());
    }
    out->push_back(std::move(clause));
    return true;
  }
  return false;
}

}  // namespace

bool FindGuards(const Node& n, Clauses* out) {
  const size_t first = out->size();
  if (!CollectGuards(n, out)) return false;
  auto it =
      std::find_if(out->begin() + static_cast<std::ptrdiff_t>(first), out->end(), AllStringAtoms);
  if (it != out->end()) std::rotate(out->begin() + static_cast<std::ptrdiff_t>(first), it, it + 1);
  return true;
}

void MeasureRule(const Node& n, int64_t* nodes, int* depth) {
  ++*nodes;
  int deepest = 0;
  for (const auto& k : n.kids) {
    int d = 0;
    MeasureRule(*k, nodes, &d);
    deepest = std::max(deepest, d);
  }
  const bool quant = n.op == Op::kAny || n.op == Op::kAll || n.op == Op::kCount;
  *depth = std::max(*depth, deepest + (quant ? 1 : 0));
}

bool MayExhaust(const Rule& rule, const Facts& facts) {
  double largest = 1;
  for (uint32_t c : facts.count) largest = std::max(largest, static_cast<double>(c));
  double steps = static_cast<double>(rule.nodes);
  for (int i = 0; i < rule.depth; ++i) steps *= largest;
  return steps > static_cast<double>(kMaxSteps);
}

bool GuardHolds(const Node& g, const Program& program, const Facts& facts) {
  const int field = g.kids[0]->field;
  if (g.op == Op::kInList) {
    const NamedList& list = program.lists[g.list];
    for (const Value& v : facts.values[field]) {
      if (v.type == Type::kString && ListContains(list, NormaliseForList(list.kind, v.str))) {
        return true;
      }
    }
    return false;
  }
  for (const Value& v : facts.values[field]) {
    if (g.op == Op::kCmp && g.kids[0]->type == Type::kNumber) {
      if (v.type == Type::kNumber && CompareNumbers(g.cmp, v.num, g.kids[1]->constant.num)) {
        return true;
      }
      continue;
    }
    if (v.type != Type::kString) continue;
    switch (g.op) {
      case Op::kCmp:
        if (v.str == g.kids[1]->constant.str) return true;
        break;
      case Op::kStartsWith:
        if (v.str.starts_with(g.kids[1]->constant.str)) return true;
        break;
      default:
        if (g.str_set.find(v.str) != g.str_set.end()) return true;
        break;
    }
  }
  return false;
}

bool GuardsHold(const Rule& rule, const Program& program, const Facts& facts) {
  for (const auto& clause : rule.guards) {
    if (std::none_of(clause.begin(), clause.end(),
                     [&](const Node* g) { return GuardHolds(*g, program, facts); })) {
      return false;
    }
  }
  return true;
}

std::vector<std::string> FormatTrace(const std::vector<TraceEntry>& trace, const EvalContext& ctx) {
  std::vector<std::string> out;
  const Facts& f = *ctx.facts;
  for (const auto& t : trace) {
    std::string s;
    switch (t.kind) {
      case TraceEntry::kField:
        if (t.b < 0 && t.d < 0) continue;
        if (t.d < 0) {
          s = FieldPath(f, t.a, t.b) + " is missing";
        } else {
          s = FieldPath(f, t.a, t.b) + "=" + FormatValue(f.values[t.a][t.b]);
        }
        break;
      case TraceEntry::kWatch: {
        const auto& wl = ctx.program->watchlists[t.a];
        char buf[16];
        auto r = std::to_chars(buf, buf + sizeof buf, t.d, std::chars_format::fixed, 2);
        s = "watchlist \"" + wl.name + "\" entry \"" + std::string(wl.list->Display(t.b)) +
            "\" similarity " + std::string(buf, r.ptr);
        break;
      }
      case TraceEntry::kHistory:
        s = "history.crossings(" +
            (t.a % 24 == 0 ? std::to_string(t.a / 24) + "d" : std::to_string(t.a) + "h") +
            ")=" + std::to_string(static_cast<int64_t>(t.d));
        break;
      case TraceEntry::kCount: {
        Coll c = static_cast<Coll>(t.a);
        Coll p = Collections()[c].parent;
        std::string where = p != kMovement && t.b >= 0 ? ElementPath(f, p, t.b) + "." +
                                                             std::string(Collections()[c].json_key)
                                                       : std::string(Collections()[c].name);
        s = "count(" + where + ")=" + std::to_string(static_cast<int64_t>(t.d));
        break;
      }
    }
    if (std::find(out.begin(), out.end(), s) == out.end()) out.push_back(std::move(s));
  }
  return out;
}

}  // namespace outpost::risk::internal
