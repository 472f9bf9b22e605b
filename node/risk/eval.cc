// Evaluation of compiled conditions over Facts, in three-valued logic: a
// missing field makes a comparison unknown, `not unknown` is unknown, and
// and/or/any/all follow Kleene's rules. A rule hits only when its condition
// is true, so a missing value can neither trigger nor (through `not`)
// invert a test; use exists()/missing() to test for absence.
#include <algorithm>
#include <charconv>

#include "base/clock.h"
#include "node/risk/normalise.h"
#include "node/risk/program.h"
#include "node/risk/validators.h"

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
bool IsTrue(const Value& v) { return v.type == Type::kBool && v.b; }
bool IsFalse(const Value& v) { return v.type == Type::kBool && !v.b; }

class Evaluator {
 public:
  Evaluator(const EvalContext& ctx, std::vector<TraceEntry>* trace)
      : ctx_(ctx), f_(*ctx.facts), trace_(trace) {
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
        Coll c = Fields()[n.field].coll;
        int32_t i = cur_[c];
        if (i < 0) return {};
        const Value& v = f_.values[n.field][i];
        if (!v.missing()) trace_->push_back({TraceEntry::kField, n.field, i, 0});
        return v;
      }
      case Op::kAnd: {
        size_t mark = trace_->size();
        bool unknown = false;
        for (const auto& k : n.kids) {
          Value v = Eval(*k);
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
        for (const auto& k : n.kids) {
          size_t mark = trace_->size();
          Value v = Eval(*k);
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
        std::string norm = NormaliseForList(list.kind, a.str);
        if (norm.empty()) return Bool(false);
        if (list.kind == ListKind::kHs) {
          for (size_t len = 1; len <= std::min(norm.size(), list.max_len); ++len) {
            if (list.entries.find(std::string_view(norm).substr(0, len)) != list.entries.end()) {
              return Bool(true);
            }
          }
          return Bool(false);
        }
        return Bool(list.entries.find(norm) != list.entries.end());
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
      case Op::kWatchlist: {
        Value a = Eval(*n.kids[0]);
        if (a.missing()) return {};
        const Watchlist& wl = *ctx_.program->watchlists[n.list].list;
        std::string norm = wl.Normalise(a.str);
        auto m = wl.Find(norm, n.threshold);
        if (!m) return Bool(false);
        trace_->push_back(
            {TraceEntry::kWatch, n.list, static_cast<int32_t>(m->entry), m->similarity});
        return Bool(true);
      }
      case Op::kHistory: {
        Value a = Eval(*n.kids[0]);
        if (a.missing()) return {};
        if (ctx_.history == nullptr) {
          if (!warned_history_)
            ctx_.warnings->push_back("history: no history provider; history counts are unknown");
          warned_history_ = true;
          return {};
        }
        int64_t count = ctx_.history->CountCrossings(a.str, ctx_.now - n.duration);
        trace_->push_back({TraceEntry::kHistory, static_cast<int32_t>(n.duration / kMicrosPerHour),
                           0, static_cast<double>(count)});
        return Number(static_cast<double>(count));
      }
    }
    return {};
  }

  bool exhausted() const { return exhausted_; }

 private:
  // True if element i of c belongs to the currently bound ancestors.
  bool InScope(Coll c, int32_t i) const {
    for (Coll cc = c; Collections()[cc].parent != kMovement; cc = Collections()[cc].parent) {
      Coll p = Collections()[cc].parent;
      i = f_.parent[cc][i];
      if (cur_[p] >= 0 && cur_[p] != i) return false;
    }
    return true;
  }
  void BindElement(Coll c, int32_t i) {
    cur_[c] = i;
    for (Coll cc = c; Collections()[cc].parent != kMovement; cc = Collections()[cc].parent) {
      i = f_.parent[cc][i];
      cur_[Collections()[cc].parent] = i;
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
      Coll p = Collections()[c].parent;
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

  Value Call(const Node& n) {
    Value a = Eval(*n.kids[0]);
    switch (n.func) {
      case Func::kExists:
        return Bool(!a.missing());
      case Func::kMissing: {
        if (!a.missing()) return Bool(false);
        // Record which element lacks the field.
        Coll c = Fields()[n.kids[0]->field].coll;
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
  std::array<int32_t, kNumColls> cur_;
  int64_t steps_ = 0;
  bool exhausted_ = false;
  bool warned_history_ = false;
  // Lazily allocated (a deque allocates on construction; this runs per rule).
  std::vector<std::unique_ptr<std::string>> owned_;
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
                  bool* exhausted) {
  trace->clear();
  Evaluator ev(ctx, trace);
  Value v = ev.Eval(*rule.when);
  *exhausted = ev.exhausted();
  return IsTrue(v) && !*exhausted;
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
