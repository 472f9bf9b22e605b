// Parser and type checker of the rule language (docs/rules.md).
//
// Two steps per rule: a recursive-descent parse that types every node, then
// Bind(), which resolves which array element each bare field refers to:
//  1. A field of an array collection (goods.hs_code) outside any/all/count
//     is "bare". Bare fields of one collection chain (goods and its
//     consignment) at one boundary (the condition, or an any/all/count body)
//     share one implicit `any`, placed on the smallest boolean subexpression
//     holding all of them and any any/all/count over their children. So
//     `equipment.loaded and count equipment.seals = 0` means "some loaded
//     container has no seal", while `a.x = 1 or b.y = 2` stays two tests.
//  2. An any/all/count may not rebind a collection already bound (directly,
//     or as the parent of a bound one); nesting is capped.
#include <algorithm>
#include <cmath>
#include <map>

#include "risk/lexer.h"
#include "risk/normalise.h"
#include "risk/program.h"

namespace outpost::risk::internal {
namespace {

using NodePtr = std::unique_ptr<Node>;

bool IsQuant(const Node& n) { return n.op == Op::kAny || n.op == Op::kAll || n.op == Op::kCount; }
bool IsBoundary(const Node& n) { return n.op == Op::kField || (IsQuant(n) && !n.implicit); }
uint32_t Bit(int c) { return 1u << c; }

constexpr std::string_view kReserved[] = {
    "and",         "or",    "not",     "in",         "list",     "any",      "all",
    "count",       "where", "between", "startswith", "endswith", "contains", "watchlist",
    "matches",     "fuzzy", "end",     "score",      "lane",     "floor",    "instructions",
    "description", "scope", "valid",   "when",       "version",  "owner",    "status"};

bool IsReserved(std::string_view w) {
  return std::find(std::begin(kReserved), std::end(kReserved), w) != std::end(kReserved);
}

struct FuncDef {
  std::string_view name;
  Func func;
  Type arg, result;
};
constexpr FuncDef kFuncs[] = {
    {"hour", Func::kHour, Type::kTime, Type::kNumber},
    {"local_hour", Func::kLocalHour, Type::kTime, Type::kNumber},
    {"weekday", Func::kWeekday, Type::kTime, Type::kNumber},
    {"age", Func::kAge, Type::kTime, Type::kNumber},
    {"length", Func::kLength, Type::kString, Type::kNumber},
    {"upper", Func::kUpper, Type::kString, Type::kString},
    {"abs", Func::kAbs, Type::kNumber, Type::kNumber},
    {"valid_iso6346", Func::kValidIso6346, Type::kString, Type::kBool},
    {"valid_vin", Func::kValidVin, Type::kString, Type::kBool},
    {"exists", Func::kExists, Type::kMissing, Type::kBool},  // kMissing: any field
    {"missing", Func::kMissing, Type::kMissing, Type::kBool},
};

class Parser {
 public:
  Parser(std::vector<Token> toks, Program* program) : toks_(std::move(toks)), p_(program) {}

  Status ParseAll() {
    bool have_header = false;
    while (Peek().kind != Tok::kEnd) {
      const Token& t = Peek();
      if (t.kind != Tok::kIdent) return Err(t, "expected a statement (ruleset, rule, list, ...)");
      std::string w = t.text;
      if (w == "ruleset") {
        if (have_header) return Err(t, "second 'ruleset' header");
        have_header = true;
        Next();
        OUTPOST_ASSIGN_OR_RETURN(p_->ruleset_id, ExpectString("ruleset name"));
        OUTPOST_RETURN_IF_ERROR(ExpectWord("version"));
        OUTPOST_ASSIGN_OR_RETURN(p_->version, ExpectInt("ruleset version", 0, 1 << 30));
      } else if (w == "issued") {
        Next();
        OUTPOST_ASSIGN_OR_RETURN(int64_t at, ExpectTime());
        p_->issued = at;
      } else if (w == "thresholds") {
        Next();
        OUTPOST_RETURN_IF_ERROR(ExpectWord("yellow"));
        OUTPOST_ASSIGN_OR_RETURN(p_->yellow, ExpectInt("yellow threshold", -1000000, 1000000));
        const Token& red_tok = Peek();
        OUTPOST_RETURN_IF_ERROR(ExpectWord("red"));
        OUTPOST_ASSIGN_OR_RETURN(p_->red, ExpectInt("red threshold", -1000000, 1000000));
        if (p_->red < p_->yellow) return Err(red_tok, "red threshold is below the yellow one");
      } else if (w == "random_rate") {
        Next();
        OUTPOST_ASSIGN_OR_RETURN(p_->random_rate, ExpectRate());
        if (AcceptWord("lane")) {
          OUTPOST_ASSIGN_OR_RETURN(p_->random_lane, ExpectLane());
        }
      } else if (w == "stale_after") {
        Next();
        const Token& d = Peek();
        if (d.kind != Tok::kDuration || d.micros <= 0)
          return Err(d, "expected a duration like 14d");
        p_->stale_after = Next().micros;
        OUTPOST_RETURN_IF_ERROR(ExpectWord("raise_random_to"));
        OUTPOST_ASSIGN_OR_RETURN(p_->stale_random_rate, ExpectRate());
        stale_tok_ = d;
      } else if (w == "list" || w == "watchlist") {
        OUTPOST_RETURN_IF_ERROR(ParseListDecl(w == "watchlist"));
      } else if (w == "rule") {
        OUTPOST_RETURN_IF_ERROR(ParseRule());
      } else {
        return Err(t, "unknown statement '" + w + "'");
      }
    }
    if (!have_header) return Err(Peek(), "missing 'ruleset \"name\" version N' header");
    if (p_->stale_after > 0 && !p_->issued) {
      return Err(stale_tok_, "stale_after needs an 'issued <date>' statement");
    }
    for (const auto& ref : list_refs_) {
      int idx = -1;
      if (ref.watch) {
        for (size_t i = 0; i < p_->watchlists.size(); ++i) {
          if (p_->watchlists[i].name == ref.name) idx = static_cast<int>(i);
        }
      } else {
        for (size_t i = 0; i < p_->lists.size(); ++i) {
          if (p_->lists[i].name == ref.name) idx = static_cast<int>(i);
        }
      }
      if (idx < 0) {
        return Err(ref.line, ref.col,
                   std::string("unknown ") + (ref.watch ? "watchlist" : "list") + " \"" + ref.name +
                       "\" (declare it with '" + (ref.watch ? "watchlist" : "list") + " \"" +
                       ref.name + "\" <kind> ...')");
      }
      ref.node->list = idx;
    }
    for (auto& w : p_->watchlists) w.list->Build();
    return Status::Ok();
  }

 private:
  struct ListRef {
    Node* node;
    std::string name;
    bool watch;
    int line, col;
  };

  // ---- token helpers ----
  const Token& Peek(size_t k = 0) const { return toks_[std::min(pos_ + k, toks_.size() - 1)]; }
  const Token& Next() {
    const Token& t = Peek();
    if (pos_ < toks_.size() - 1) ++pos_;
    return t;
  }
  static bool IsWord(const Token& t, std::string_view w) {
    return t.kind == Tok::kIdent && t.text == w;
  }
  bool AcceptWord(std::string_view w) {
    if (!IsWord(Peek(), w)) return false;
    Next();
    return true;
  }
  static std::string Describe(const Token& t) {
    switch (t.kind) {
      case Tok::kEnd:
        return "end of input";
      case Tok::kString:
        return "string \"" + t.text.substr(0, 40) + "\"";
      default:
        return "'" + t.text.substr(0, 40) + "'";
    }
  }
  static Status Err(int line, int col, std::string_view msg) {
    return Status::InvalidArgument(std::to_string(line) + ":" + std::to_string(col) + ": " +
                                   std::string(msg));
  }
  static Status Err(const Token& t, std::string_view msg) { return Err(t.line, t.col, msg); }
  static Status Err(const Node& n, std::string_view msg) { return Err(n.line, n.col, msg); }

  Status ExpectWord(std::string_view w) {
    if (AcceptWord(w)) return Status::Ok();
    return Err(Peek(), "expected '" + std::string(w) + "', found " + Describe(Peek()));
  }
  Status Expect(Tok kind, std::string_view what) {
    if (Peek().kind == kind) {
      Next();
      return Status::Ok();
    }
    return Err(Peek(), "expected " + std::string(what) + ", found " + Describe(Peek()));
  }
  Result<std::string> ExpectString(std::string_view what) {
    if (Peek().kind != Tok::kString) {
      return Err(Peek(),
                 "expected " + std::string(what) + " (a quoted string), found " + Describe(Peek()));
    }
    return Next().text;
  }
  Result<int> ExpectInt(std::string_view what, int lo, int hi) {
    const Token& t = Peek();
    if (t.kind != Tok::kNumber || t.number != std::floor(t.number) || t.number < lo ||
        t.number > hi) {
      return Err(t, "expected " + std::string(what) + " (an integer from " + std::to_string(lo) +
                        " to " + std::to_string(hi) + "), found " + Describe(t));
    }
    return static_cast<int>(Next().number);
  }
  Result<double> ExpectRate() {
    const Token& t = Peek();
    if (t.kind != Tok::kNumber || !(t.number >= 0 && t.number <= 1)) {
      return Err(t, "expected a rate from 0 to 1, found " + Describe(t));
    }
    return Next().number;
  }
  Result<int64_t> ExpectTime() {
    if (Peek().kind != Tok::kTime) {
      return Err(Peek(), "expected a date like 2026-01-31, found " + Describe(Peek()));
    }
    return Next().micros;
  }
  Result<Lane> ExpectLane() {
    const Token& t = Peek();
    if (IsWord(t, "green")) {
      Next();
      return Lane::kGreen;
    }
    if (IsWord(t, "yellow")) {
      Next();
      return Lane::kYellow;
    }
    if (IsWord(t, "red")) {
      Next();
      return Lane::kRed;
    }
    return Err(t, "expected a lane (green, yellow, red), found " + Describe(t));
  }

  // ---- declarations ----
  Status ParseListDecl(bool watch) {
    Next();
    const Token& name_tok = Peek();
    OUTPOST_ASSIGN_OR_RETURN(std::string name,
                             ExpectString(watch ? "watchlist name" : "list name"));
    for (const auto& l : p_->lists) {
      if (l.name == name) return Err(name_tok, "list \"" + name + "\" declared twice");
    }
    for (const auto& l : p_->watchlists) {
      if (l.name == name) return Err(name_tok, "watchlist \"" + name + "\" declared twice");
    }
    const Token& kind_tok = Peek();
    std::string kind = kind_tok.kind == Tok::kIdent ? kind_tok.text : "";
    NamedList list;
    std::unique_ptr<Watchlist> wl;
    if (watch) {
      if (kind == "name")
        wl = std::make_unique<Watchlist>(WatchKind::kName);
      else if (kind == "company")
        wl = std::make_unique<Watchlist>(WatchKind::kCompany);
      else if (kind == "plate")
        wl = std::make_unique<Watchlist>(WatchKind::kPlate);
      else
        return Err(kind_tok,
                   "expected a watchlist kind (name, company, plate), found " + Describe(kind_tok));
    } else {
      static const std::map<std::string, ListKind, std::less<>> kKinds = {
          {"string", ListKind::kString}, {"country", ListKind::kCountry},
          {"hs", ListKind::kHs},         {"plate", ListKind::kPlate},
          {"name", ListKind::kName},     {"company", ListKind::kCompany}};
      auto it = kKinds.find(kind);
      if (it == kKinds.end()) {
        return Err(kind_tok,
                   "expected a list kind (string, country, hs, plate, name, company), found " +
                       Describe(kind_tok));
      }
      list.kind = it->second;
    }
    Next();
    std::vector<std::string> entries;
    if (AcceptWord("from")) {
      OUTPOST_RETURN_IF_ERROR(ExpectWord("file"));
    } else {
      OUTPOST_RETURN_IF_ERROR(Expect(Tok::kLBrace, "'{' or 'from file'"));
      if (Peek().kind != Tok::kRBrace) {
        while (true) {
          OUTPOST_ASSIGN_OR_RETURN(std::string e, ExpectString("list entry"));
          entries.push_back(std::move(e));
          if (Peek().kind != Tok::kComma) break;
          Next();
        }
      }
      OUTPOST_RETURN_IF_ERROR(Expect(Tok::kRBrace, "',' or '}'"));
    }
    if (watch) {
      for (const auto& e : entries) wl->Add(e);
      p_->watchlists.push_back({std::move(name), std::move(wl)});
    } else {
      list.name = std::move(name);
      AddListEntries(&list, entries);
      p_->lists.push_back(std::move(list));
    }
    return Status::Ok();
  }

 public:
  static std::string NormaliseFor(ListKind kind, std::string_view s) {
    switch (kind) {
      case ListKind::kString:
        return std::string(s);
      case ListKind::kCountry:
        return NormaliseCountry(s);
      case ListKind::kHs:
        return NormaliseHs(s);
      case ListKind::kPlate:
        return NormalisePlate(s);
      case ListKind::kName:
        return NormaliseName(s);
      case ListKind::kCompany:
        return NormaliseCompany(s);
    }
    return std::string(s);
  }
  static void AddListEntries(NamedList* list, const std::vector<std::string>& entries) {
    for (const auto& e : entries) {
      std::string n = NormaliseFor(list->kind, e);
      if (n.empty()) continue;
      list->max_len = std::max(list->max_len, n.size());
      list->entries.insert(std::move(n));
    }
  }

 private:
  // ---- rules ----
  Status ParseRule() {
    const Token& rule_tok = Next();
    Rule r;
    r.line = rule_tok.line;
    const Token& id_tok = Peek();
    if (id_tok.kind != Tok::kIdent || IsReserved(id_tok.text)) {
      return Err(id_tok, "expected a rule id like R-101, found " + Describe(id_tok));
    }
    r.id = Next().text;
    for (const auto& other : p_->rules) {
      if (other.id == r.id) return Err(id_tok, "rule " + r.id + " defined twice");
    }
    std::map<std::string, bool> seen;
    auto once = [&](const Token& t) -> Status {
      if (seen[t.text]) return Err(t, "'" + t.text + "' given twice in rule " + r.id);
      seen[t.text] = true;
      return Status::Ok();
    };
    while (true) {
      const Token& t = Peek();
      if (t.kind == Tok::kEnd) return Err(rule_tok, "rule " + r.id + " has no 'end'");
      if (t.kind != Tok::kIdent) return Err(t, "expected a rule clause, found " + Describe(t));
      std::string w = t.text;
      if (w == "end") {
        Next();
        break;
      }
      OUTPOST_RETURN_IF_ERROR(once(t));
      Next();
      if (w == "version") {
        OUTPOST_ASSIGN_OR_RETURN(r.version, ExpectInt("rule version", 0, 1 << 30));
      } else if (w == "owner") {
        OUTPOST_ASSIGN_OR_RETURN(r.owner, ExpectString("owner"));
      } else if (w == "status") {
        if (AcceptWord("active"))
          r.shadow = false;
        else if (AcceptWord("shadow"))
          r.shadow = true;
        else
          return Err(Peek(), "expected 'active' or 'shadow', found " + Describe(Peek()));
      } else if (w == "description") {
        OUTPOST_ASSIGN_OR_RETURN(r.description, ExpectString("description"));
      } else if (w == "instructions") {
        OUTPOST_ASSIGN_OR_RETURN(r.instructions, ExpectString("instructions"));
      } else if (w == "scope") {
        OUTPOST_RETURN_IF_ERROR(ParseScope(&r));
      } else if (w == "valid") {
        bool any = false;
        if (AcceptWord("from")) {
          OUTPOST_ASSIGN_OR_RETURN(r.valid_from, ExpectTime());
          any = true;
        }
        if (AcceptWord("until")) {
          OUTPOST_ASSIGN_OR_RETURN(r.valid_until, ExpectTime());
          any = true;
        }
        if (!any) return Err(Peek(), "expected 'from' or 'until' after 'valid'");
        if (r.valid_until <= r.valid_from)
          return Err(t, "validity period is empty (until <= from)");
      } else if (w == "when") {
        depth_ = 0;
        OUTPOST_ASSIGN_OR_RETURN(r.when, ParseOr());
        OUTPOST_RETURN_IF_ERROR(RequireBool(*r.when, "a rule condition"));
        OUTPOST_RETURN_IF_ERROR(Bind(&r.when, 0, 0));
      } else if (w == "score") {
        OUTPOST_ASSIGN_OR_RETURN(r.score, ExpectInt("score", -10000, 10000));
      } else if (w == "lane") {
        OUTPOST_ASSIGN_OR_RETURN(Lane l, ExpectLane());
        r.forced = l;
      } else if (w == "floor") {
        OUTPOST_ASSIGN_OR_RETURN(Lane l, ExpectLane());
        r.floor = l;
      } else {
        return Err(t, "unknown rule clause '" + w + "'");
      }
    }
    if (!r.when) return Err(rule_tok, "rule " + r.id + " has no 'when' condition");
    if (!seen["score"] && !r.forced && !r.floor) {
      return Err(rule_tok, "rule " + r.id + " needs 'score N', 'lane L' or 'floor L'");
    }
    p_->rules.push_back(std::move(r));
    return Status::Ok();
  }

  Status ParseScope(Rule* r) {
    bool any = false;
    while (true) {
      if (AcceptWord("crossings")) {
        while (true) {
          OUTPOST_ASSIGN_OR_RETURN(std::string c, ExpectString("crossing code"));
          r->crossings.push_back(std::move(c));
          if (Peek().kind != Tok::kComma) break;
          Next();
        }
      } else if (IsWord(Peek(), "direction") || IsWord(Peek(), "mode")) {
        bool dir = Next().text == "direction";
        uint32_t* mask = dir ? &r->directions : &r->modes;
        while (true) {
          const Token& v = Peek();
          int found = -1;
          const auto* names = dir ? std::begin(kDirections) : std::begin(kModes);
          size_t n = dir ? std::size(kDirections) : std::size(kModes);
          for (size_t i = 0; i < n; ++i) {
            if (IsWord(v, names[i])) found = static_cast<int>(i);
          }
          if (found < 0) {
            return Err(v, dir ? "expected a direction (in, out), found " + Describe(v)
                              : "expected a mode (road, rail, air, sea), found " + Describe(v));
          }
          Next();
          *mask |= 1u << found;
          if (Peek().kind != Tok::kComma) break;
          Next();
        }
      } else {
        break;
      }
      any = true;
    }
    if (!any) return Err(Peek(), "expected 'crossings', 'direction' or 'mode' after 'scope'");
    return Status::Ok();
  }

  // ---- expressions ----
  struct DepthGuard {
    int* d;
    explicit DepthGuard(int* depth) : d(depth) { ++*d; }
    ~DepthGuard() { --*d; }
  };
  Status CheckDepth() {
    if (depth_ > kMaxDepth) return Err(Peek(), "expression nested too deeply");
    return Status::Ok();
  }

  NodePtr MakeNode(Op op, Type type, const Token& at) {
    auto n = std::make_unique<Node>();
    n->op = op;
    n->type = type;
    n->line = at.line;
    n->col = at.col;
    return n;
  }

  Status RequireBool(const Node& n, std::string_view where) {
    if (n.type == Type::kBool) return Status::Ok();
    return Err(n, std::string(where) + " must be a condition (boolean), but this is a " +
                      std::string(TypeName(n.type)));
  }

  Result<NodePtr> ParseOr() {
    DepthGuard g(&depth_);
    OUTPOST_RETURN_IF_ERROR(CheckDepth());
    OUTPOST_ASSIGN_OR_RETURN(NodePtr left, ParseAnd());
    if (!IsWord(Peek(), "or")) return left;
    auto n = MakeNode(Op::kOr, Type::kBool, Peek());
    n->line = left->line;
    n->col = left->col;
    OUTPOST_RETURN_IF_ERROR(RequireBool(*left, "each side of 'or'"));
    n->kids.push_back(std::move(left));
    while (AcceptWord("or")) {
      OUTPOST_ASSIGN_OR_RETURN(NodePtr right, ParseAnd());
      OUTPOST_RETURN_IF_ERROR(RequireBool(*right, "each side of 'or'"));
      n->kids.push_back(std::move(right));
    }
    return n;
  }

  Result<NodePtr> ParseAnd() {
    OUTPOST_ASSIGN_OR_RETURN(NodePtr left, ParseNot());
    if (!IsWord(Peek(), "and")) return left;
    auto n = MakeNode(Op::kAnd, Type::kBool, Peek());
    n->line = left->line;
    n->col = left->col;
    OUTPOST_RETURN_IF_ERROR(RequireBool(*left, "each side of 'and'"));
    n->kids.push_back(std::move(left));
    while (AcceptWord("and")) {
      OUTPOST_ASSIGN_OR_RETURN(NodePtr right, ParseNot());
      OUTPOST_RETURN_IF_ERROR(RequireBool(*right, "each side of 'and'"));
      n->kids.push_back(std::move(right));
    }
    return n;
  }

  Result<NodePtr> ParseNot() {
    DepthGuard g(&depth_);
    OUTPOST_RETURN_IF_ERROR(CheckDepth());
    const Token& t = Peek();
    if (IsWord(t, "not")) {
      Next();
      auto n = MakeNode(Op::kNot, Type::kBool, t);
      OUTPOST_ASSIGN_OR_RETURN(NodePtr kid, ParseNot());
      OUTPOST_RETURN_IF_ERROR(RequireBool(*kid, "the operand of 'not'"));
      n->kids.push_back(std::move(kid));
      return n;
    }
    if ((IsWord(t, "any") || IsWord(t, "all")) && Peek(1).kind == Tok::kIdent &&
        Peek(2).kind == Tok::kColon) {
      Next();
      auto n = MakeNode(t.text == "any" ? Op::kAny : Op::kAll, Type::kBool, t);
      OUTPOST_ASSIGN_OR_RETURN(n->coll, ExpectCollection());
      Next();  // ':'
      OUTPOST_ASSIGN_OR_RETURN(NodePtr body, ParseOr());
      OUTPOST_RETURN_IF_ERROR(RequireBool(*body, "the body of '" + t.text + "'"));
      n->kids.push_back(std::move(body));
      return n;
    }
    return ParseCmp();
  }

  Result<int> ExpectCollection() {
    const Token& t = Peek();
    int c = t.kind == Tok::kIdent ? FindCollection(t.text) : -1;
    if (c < 0) {
      return Err(t,
                 "expected a collection (route, equipment, equipment.seals, consignments, "
                 "goods, persons), found " +
                     Describe(t));
    }
    Next();
    return c;
  }

  Result<NodePtr> ParseCmp() {
    OUTPOST_ASSIGN_OR_RETURN(NodePtr left, ParseSum());
    const Token& t = Peek();
    static const std::pair<Tok, CmpOp> kCmps[] = {{Tok::kEq, CmpOp::kEq}, {Tok::kNe, CmpOp::kNe},
                                                  {Tok::kLt, CmpOp::kLt}, {Tok::kLe, CmpOp::kLe},
                                                  {Tok::kGt, CmpOp::kGt}, {Tok::kGe, CmpOp::kGe}};
    for (auto [tok, op] : kCmps) {
      if (t.kind != tok) continue;
      Next();
      OUTPOST_ASSIGN_OR_RETURN(NodePtr right, ParseSum());
      OUTPOST_RETURN_IF_ERROR(
          CheckComparable(*left, *right, t, op == CmpOp::kEq || op == CmpOp::kNe));
      auto n = MakeNode(Op::kCmp, Type::kBool, t);
      n->cmp = op;
      n->kids.push_back(std::move(left));
      n->kids.push_back(std::move(right));
      return n;
    }
    if (IsWord(t, "startswith") || IsWord(t, "endswith") || IsWord(t, "contains")) {
      Next();
      Op op = t.text == "startswith" ? Op::kStartsWith
              : t.text == "endswith" ? Op::kEndsWith
                                     : Op::kContains;
      OUTPOST_ASSIGN_OR_RETURN(NodePtr right, ParseOperand());
      if (left->type != Type::kString || right->type != Type::kString) {
        return Err(t, "'" + t.text + "' compares strings, not " +
                          std::string(TypeName(left->type)) + " and " +
                          std::string(TypeName(right->type)));
      }
      auto n = MakeNode(op, Type::kBool, t);
      n->kids.push_back(std::move(left));
      n->kids.push_back(std::move(right));
      return n;
    }
    bool negate = IsWord(t, "not") && IsWord(Peek(1), "in");
    if (IsWord(t, "in") || negate) {
      if (negate) Next();
      const Token& in_tok = Next();
      NodePtr n;
      if (AcceptWord("list")) {
        const Token& name_tok = Peek();
        OUTPOST_ASSIGN_OR_RETURN(std::string name, ExpectString("list name"));
        if (left->type != Type::kString) {
          return Err(in_tok,
                     "'in list' needs a string, not a " + std::string(TypeName(left->type)));
        }
        n = MakeNode(Op::kInList, Type::kBool, in_tok);
        list_refs_.push_back({n.get(), std::move(name), false, name_tok.line, name_tok.col});
      } else if (Peek().kind == Tok::kLBrace) {
        Next();
        n = MakeNode(Op::kInSet, Type::kBool, in_tok);
        if (left->type != Type::kString && left->type != Type::kNumber) {
          return Err(in_tok, "'in { }' needs a string or a number, not a " +
                                 std::string(TypeName(left->type)));
        }
        while (true) {
          const Token& e = Peek();
          if (left->type == Type::kString && e.kind == Tok::kString) {
            n->str_set.insert(e.text);
          } else if (left->type == Type::kNumber && e.kind == Tok::kNumber) {
            n->num_set.push_back(e.number);
          } else {
            return Err(e, "expected a " + std::string(TypeName(left->type)) +
                              " in the set, found " + Describe(e));
          }
          Next();
          if (Peek().kind != Tok::kComma) break;
          Next();
        }
        OUTPOST_RETURN_IF_ERROR(Expect(Tok::kRBrace, "',' or '}'"));
      } else {
        return Err(Peek(), "expected 'list \"name\"' or '{' after 'in', found " + Describe(Peek()));
      }
      n->kids.push_back(std::move(left));
      if (!negate) return n;
      auto not_node = MakeNode(Op::kNot, Type::kBool, t);
      not_node->kids.push_back(std::move(n));
      return not_node;
    }
    if (IsWord(t, "between")) {
      Next();
      OUTPOST_ASSIGN_OR_RETURN(NodePtr lo, ParseSum());
      OUTPOST_RETURN_IF_ERROR(ExpectWord("and"));
      OUTPOST_ASSIGN_OR_RETURN(NodePtr hi, ParseSum());
      if (left->type != Type::kNumber && left->type != Type::kTime) {
        return Err(
            t, "'between' needs a number or a time, not a " + std::string(TypeName(left->type)));
      }
      OUTPOST_RETURN_IF_ERROR(CheckComparable(*left, *lo, t, false));
      OUTPOST_RETURN_IF_ERROR(CheckComparable(*left, *hi, t, false));
      auto n = MakeNode(Op::kBetween, Type::kBool, t);
      n->kids.push_back(std::move(left));
      n->kids.push_back(std::move(lo));
      n->kids.push_back(std::move(hi));
      return n;
    }
    return left;
  }

  // ---- arithmetic: sum := product { (+|-) product }; product := unary
  // { (*|/) unary }; unary := - unary | operand. Numbers only. Each operator
  // of a chain counts as one level of nesting (kMaxDepth), so the tree that
  // evaluation recurses over stays shallow.
  struct ChainGuard {
    int* d;
    int n = 0;
    explicit ChainGuard(int* depth) : d(depth) {}
    void Add() {
      ++*d;
      ++n;
    }
    ~ChainGuard() { *d -= n; }
  };

  Status RequireNumber(const Node& n, const Token& op) {
    if (n.type == Type::kNumber) return Status::Ok();
    return Err(op, "'" + op.text + "' needs numbers, not a " + std::string(TypeName(n.type)));
  }

  NodePtr MakeArith(ArithOp op, const Token& at, NodePtr a, NodePtr b) {
    auto n = MakeNode(Op::kArith, Type::kNumber, at);
    n->arith = op;
    if (b) {  // where the expression starts, as for 'and' and 'or'
      n->line = a->line;
      n->col = a->col;
    }
    n->kids.push_back(std::move(a));
    if (b) n->kids.push_back(std::move(b));
    return n;
  }

  Result<NodePtr> ParseSum() {
    ChainGuard chain(&depth_);
    OUTPOST_ASSIGN_OR_RETURN(NodePtr left, ParseProduct());
    while (true) {
      const Token& t = Peek();
      // "x -3": the lexer reads "-3" as a literal; after an operand it is
      // "x + -3", so "weight -3" subtracts as "weight - 3" does.
      const bool literal = t.kind == Tok::kNumber && t.text.starts_with('-');
      if (t.kind != Tok::kPlus && t.kind != Tok::kMinus && !literal) return left;
      chain.Add();
      OUTPOST_RETURN_IF_ERROR(CheckDepth());
      if (!literal) Next();
      OUTPOST_RETURN_IF_ERROR(RequireNumber(*left, t));
      OUTPOST_ASSIGN_OR_RETURN(NodePtr right, ParseProduct());
      OUTPOST_RETURN_IF_ERROR(RequireNumber(*right, t));
      left = MakeArith(t.kind == Tok::kMinus ? ArithOp::kSub : ArithOp::kAdd, t, std::move(left),
                       std::move(right));
    }
  }

  Result<NodePtr> ParseProduct() {
    ChainGuard chain(&depth_);
    OUTPOST_ASSIGN_OR_RETURN(NodePtr left, ParseUnary());
    while (Peek().kind == Tok::kStar || Peek().kind == Tok::kSlash) {
      const Token& t = Next();
      chain.Add();
      OUTPOST_RETURN_IF_ERROR(CheckDepth());
      OUTPOST_RETURN_IF_ERROR(RequireNumber(*left, t));
      OUTPOST_ASSIGN_OR_RETURN(NodePtr right, ParseUnary());
      OUTPOST_RETURN_IF_ERROR(RequireNumber(*right, t));
      left = MakeArith(t.kind == Tok::kStar ? ArithOp::kMul : ArithOp::kDiv, t, std::move(left),
                       std::move(right));
    }
    return left;
  }

  Result<NodePtr> ParseUnary() {
    if (Peek().kind != Tok::kMinus) return ParseOperand();
    DepthGuard g(&depth_);
    OUTPOST_RETURN_IF_ERROR(CheckDepth());
    const Token& t = Next();
    OUTPOST_ASSIGN_OR_RETURN(NodePtr operand, ParseUnary());
    OUTPOST_RETURN_IF_ERROR(RequireNumber(*operand, t));
    return MakeArith(ArithOp::kNeg, t, std::move(operand), nullptr);
  }

  Status CheckComparable(const Node& a, const Node& b, const Token& at, bool equality) {
    if (a.type != b.type || a.type == Type::kDuration || a.type == Type::kMissing) {
      return Err(at, "cannot compare a " + std::string(TypeName(a.type)) + " with a " +
                         std::string(TypeName(b.type)));
    }
    if (a.type == Type::kBool && !equality) return Err(at, "booleans only compare with = and !=");
    return Status::Ok();
  }

  Result<NodePtr> ParseOperand() {
    DepthGuard g(&depth_);
    OUTPOST_RETURN_IF_ERROR(CheckDepth());
    const Token& t = Peek();
    switch (t.kind) {
      case Tok::kLParen: {
        Next();
        OUTPOST_ASSIGN_OR_RETURN(NodePtr inner, ParseOr());
        OUTPOST_RETURN_IF_ERROR(Expect(Tok::kRParen, "')'"));
        return inner;
      }
      case Tok::kString: {
        auto n = MakeNode(Op::kConst, Type::kString, Next());
        n->const_storage = t.text;
        n->constant.type = Type::kString;
        n->constant.str = n->const_storage;
        return n;
      }
      case Tok::kNumber: {
        auto n = MakeNode(Op::kConst, Type::kNumber, Next());
        n->constant.type = Type::kNumber;
        n->constant.num = t.number;
        return n;
      }
      case Tok::kTime: {
        auto n = MakeNode(Op::kConst, Type::kTime, Next());
        n->constant.type = Type::kTime;
        n->constant.micros = t.micros;
        return n;
      }
      case Tok::kDuration:
        return Err(t, "a duration is only allowed in history.crossings(..., 30d)");
      case Tok::kIdent:
        break;
      default:
        return Err(t, "expected a value, found " + Describe(t));
    }
    const std::string& w = t.text;
    if (w == "true" || w == "false") {
      auto n = MakeNode(Op::kConst, Type::kBool, Next());
      n->constant.type = Type::kBool;
      n->constant.b = w == "true";
      return n;
    }
    if (w == "count") {
      Next();
      auto n = MakeNode(Op::kCount, Type::kNumber, t);
      OUTPOST_ASSIGN_OR_RETURN(n->coll, ExpectCollection());
      if (AcceptWord("where")) {
        // "count goods where (a and b) >= 3": a parenthesised condition ends
        // the body, so the comparison applies to the count.
        OUTPOST_ASSIGN_OR_RETURN(NodePtr body,
                                 Peek().kind == Tok::kLParen ? ParseOperand() : ParseNot());
        OUTPOST_RETURN_IF_ERROR(RequireBool(*body, "the condition after 'where'"));
        n->kids.push_back(std::move(body));
      }
      return n;
    }
    if (w == "watchlist") {
      Next();
      auto n = MakeNode(Op::kWatchlist, Type::kBool, t);
      const Token& name_tok = Peek();
      OUTPOST_ASSIGN_OR_RETURN(std::string name, ExpectString("watchlist name"));
      list_refs_.push_back({n.get(), std::move(name), true, name_tok.line, name_tok.col});
      OUTPOST_RETURN_IF_ERROR(ExpectWord("matches"));
      OUTPOST_ASSIGN_OR_RETURN(NodePtr arg, ParseOperand());
      if (arg->type != Type::kString) {
        return Err(*arg, "a watchlist matches a string, not a " + std::string(TypeName(arg->type)));
      }
      n->kids.push_back(std::move(arg));
      if (AcceptWord("fuzzy")) {
        const Token& th = Peek();
        if (th.kind != Tok::kNumber || !(th.number > 0 && th.number <= 1)) {
          return Err(th, "expected a similarity threshold in (0, 1], found " + Describe(th));
        }
        n->threshold = Next().number;
      }
      return n;
    }
    if (w == "history.crossings") {
      Next();
      auto n = MakeNode(Op::kHistory, Type::kNumber, t);
      OUTPOST_RETURN_IF_ERROR(Expect(Tok::kLParen, "'('"));
      OUTPOST_ASSIGN_OR_RETURN(NodePtr arg, ParseOperand());
      if (arg->type != Type::kString) {
        return Err(*arg, "history.crossings takes a plate (string), not a " +
                             std::string(TypeName(arg->type)));
      }
      n->kids.push_back(std::move(arg));
      OUTPOST_RETURN_IF_ERROR(Expect(Tok::kComma, "','"));
      if (Peek().kind != Tok::kDuration || Peek().micros <= 0) {
        return Err(Peek(), "expected a window like 30d, found " + Describe(Peek()));
      }
      n->duration = Next().micros;
      OUTPOST_RETURN_IF_ERROR(Expect(Tok::kRParen, "')'"));
      return n;
    }
    if (Peek(1).kind == Tok::kLParen) {
      const FuncDef* def = nullptr;
      for (const auto& f : kFuncs) {
        if (f.name == w) def = &f;
      }
      if (def == nullptr) return Err(t, "unknown function '" + w + "'");
      Next();
      Next();
      auto n = MakeNode(Op::kCall, def->result, t);
      n->func = def->func;
      OUTPOST_ASSIGN_OR_RETURN(NodePtr arg, ParseSum());
      if (def->arg == Type::kMissing) {
        if (arg->op != Op::kField)
          return Err(*arg, w + "() takes a field, like " + w + "(vehicle.vin)");
      } else if (arg->type != def->arg) {
        return Err(*arg, w + "() takes a " + std::string(TypeName(def->arg)) + ", not a " +
                             std::string(TypeName(arg->type)));
      }
      n->kids.push_back(std::move(arg));
      OUTPOST_RETURN_IF_ERROR(Expect(Tok::kRParen, "')'"));
      return n;
    }
    if (IsReserved(w)) return Err(t, "expected a value, found '" + w + "'");
    int field = FindField(w);
    if (field < 0) {
      if (FindCollection(w) >= 0) {
        return Err(t, "'" + w + "' is a collection; use any/all/count, or one of its fields");
      }
      // Identifiers may hold '-' (rule ids: R-101), so "a-b" is one word.
      if (w.find('-') != std::string::npos) {
        return Err(t, "unknown field '" + w + "' (to subtract, put spaces around '-')");
      }
      return Err(t, "unknown field '" + w + "'");
    }
    Next();
    auto n = MakeNode(Op::kField, Fields()[field].type, t);
    n->field = field;
    return n;
  }

  // ---- binding (see the file comment) ----
  static void CollectBare(const Node& n, uint32_t* mask) {
    if (n.op == Op::kField) {
      Coll c = Fields()[n.field].coll;
      if (c != kMovement) *mask |= Bit(c);
      return;
    }
    if (IsBoundary(n)) return;
    for (const auto& k : n.kids) CollectBare(*k, mask);
  }
  static bool IsGroupRef(const Node& n, uint32_t g) {
    if (n.op == Op::kField) return (g & Bit(Fields()[n.field].coll)) != 0;
    if (IsQuant(n) && !n.implicit) return (AncestorMask(static_cast<Coll>(n.coll)) & g) != 0;
    return false;
  }
  static int CountGroupRefs(const Node& n, uint32_t g) {
    int r = IsGroupRef(n, g) ? 1 : 0;
    if (IsBoundary(n)) return r;
    for (const auto& k : n.kids) r += CountGroupRefs(*k, g);
    return r;
  }
  // The deepest boolean node under *slot holding all `total` references.
  static NodePtr* FindLca(NodePtr* slot, uint32_t g, int total) {
    Node& n = **slot;
    if (IsGroupRef(n, g) || IsBoundary(n)) return slot;
    for (auto& k : n.kids) {
      if (k->type == Type::kBool && CountGroupRefs(*k, g) == total) return FindLca(&k, g, total);
    }
    return slot;
  }

  Status Bind(NodePtr* root, uint32_t bound, int nesting) {
    uint32_t bare = 0;
    CollectBare(**root, &bare);
    bare &= ~bound;
    for (int c = 1; c < kNumColls; ++c) {
      if (!(bare & Bit(c))) continue;
      bool leaf = true;
      for (int d = 1; d < kNumColls; ++d) {
        if ((bare & Bit(d)) && (AncestorMask(static_cast<Coll>(d)) & Bit(c))) leaf = false;
      }
      if (!leaf) continue;
      uint32_t group = (Bit(c) | AncestorMask(static_cast<Coll>(c))) & bare;
      int total = CountGroupRefs(**root, group);
      NodePtr* slot = FindLca(root, group, total);
      auto any = std::make_unique<Node>();
      any->op = Op::kAny;
      any->type = Type::kBool;
      any->implicit = true;
      any->coll = c;
      any->line = (*slot)->line;
      any->col = (*slot)->col;
      any->kids.push_back(std::move(*slot));
      *slot = std::move(any);
    }
    return Walk(**root, bound, nesting);
  }

  Status Walk(Node& n, uint32_t bound, int nesting) {
    if (IsQuant(n)) {
      Coll c = static_cast<Coll>(n.coll);
      const std::string_view name = Collections()[c].name;
      if (bound & Bit(c)) {
        return Err(n, std::string(name) +
                          " is already bound here (by an enclosing any/all/count, or by a bare " +
                          "field of it or of its items); refer to its fields directly");
      }
      uint32_t inner = bound | Bit(c) | AncestorMask(c);
      if (n.implicit) return Walk(*n.kids[0], inner, nesting);
      if (nesting + 1 > kMaxQuantifierNesting) {
        return Err(
            n, "any/all/count nested more than " + std::to_string(kMaxQuantifierNesting) + " deep");
      }
      if (n.kids.empty()) return Status::Ok();
      return Bind(&n.kids[0], inner, nesting + 1);
    }
    for (auto& k : n.kids) OUTPOST_RETURN_IF_ERROR(Walk(*k, bound, nesting));
    return Status::Ok();
  }

  std::vector<Token> toks_;
  size_t pos_ = 0;
  Program* p_;
  int depth_ = 0;
  Token stale_tok_;
  std::vector<ListRef> list_refs_;
};

}  // namespace

std::string NormaliseForList(ListKind kind, std::string_view s) {
  return Parser::NormaliseFor(kind, s);
}
void AddToList(NamedList* list, const std::vector<std::string>& entries) {
  Parser::AddListEntries(list, entries);
}

Result<std::unique_ptr<Program>> CompileProgram(std::string_view text) {
  if (text.size() > kMaxSourceBytes) {
    return Status::InvalidArgument("1:1: ruleset is larger than " +
                                   std::to_string(kMaxSourceBytes) + " bytes");
  }
  OUTPOST_ASSIGN_OR_RETURN(std::vector<Token> toks, Lex(text));
  auto program = std::make_unique<Program>();
  Parser parser(std::move(toks), program.get());
  OUTPOST_RETURN_IF_ERROR(parser.ParseAll());
  for (auto& rule : program->rules) {
    PlanEvaluation(rule.when.get());
    FindGuards(*rule.when, &rule.guards);
    MeasureRule(*rule.when, &rule.nodes, &rule.depth);
  }
  program->index = BuildRuleIndex(*program);
  return program;
}

}  // namespace outpost::risk::internal
