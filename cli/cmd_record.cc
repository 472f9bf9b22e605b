// Record commands: what an officer records, and the replicated state.
//   outpost record add TYPE (--doc JSON | --file FILE | --file -)
//   outpost record inspect MOVEMENT_ID (--doc JSON | --file FILE | --file -)
//   outpost record import FILE.jsonl
//   outpost record get ID
//   outpost record list TYPE [--since TIME] [--limit N] [--where FIELD=VALUE ...]
//   outpost record search QUERY [--limit N] [--page K | --before CURSOR] [--reason R]
//   outpost record update ID (--doc PATCH | --file FILE | --file -)
//   outpost record delete ID --reason TEXT
//   outpost digest [--scope S]
//   outpost simulate --site CODE --movements N --seed S --out FILE.jsonl
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <map>
#include <sstream>

#include "cli/commands.h"
#include "cli/node_access.h"
#include "node/lane.h"
#include "node/record_movement.h"
#include "node/records.h"
#include "node/search.h"
#include "node/simulate.h"
#include "schema/validators.h"

namespace outpost::cli {
namespace {

using nlohmann::json;

struct RecordArgs {
  std::string type, id, json_text, file, reason, since, scope, site = "BA-GRA", out, source;
  int64_t movements = 1000;
  uint64_t seed = 1;
  std::string start;
  bool inspect = false;
  int64_t limit = 100;
  std::vector<std::string> where;
  size_t batch = 1000;
  int64_t search_limit = 20, page = 1;
  std::string query, before;
};

Result<node::Actor> ActorFor(Context& ctx, const std::string& reason) {
  OUTPOST_ASSIGN_OR_RETURN(std::string officer, ctx.Officer());
  return node::Actor{officer, reason};
}

// Reads the document from --doc, --file FILE or standard input (--file -).
Result<json> ReadDocument(const RecordArgs& a) {
  std::string text;
  int sources = !a.json_text.empty() + !a.file.empty();
  if (sources > 1) return Status::InvalidArgument("give the document once: --doc or --file");
  if (!a.json_text.empty()) {
    text = a.json_text;
  } else if (!a.file.empty() && a.file != "-") {
    std::ifstream in(a.file, std::ios::binary);
    if (!in) return Status::NotFound("--file: cannot open " + a.file);
    std::stringstream ss;
    ss << in.rdbuf();
    text = ss.str();
  } else {
    std::stringstream ss;
    ss << std::cin.rdbuf();
    text = ss.str();
  }
  if (text.size() > (4u << 20)) return Status::InvalidArgument("document: larger than 4 MiB");
  json doc = json::parse(text, nullptr, false);
  if (doc.is_discarded()) {
    return Status::InvalidArgument("document: not valid JSON (check quotes and commas)");
  }
  return doc;
}

std::string Human(const json& j) { return j.dump(2); }

// Rows as a table for the terminal: one line each, a column per field (in
// the order first seen, "id" first), values cut at 40 characters; nested
// objects and lists are left to `record get` and --json.
std::string Table(const json& rows) {
  constexpr size_t kMaxWidth = 40;
  std::vector<std::string> cols{"id"};
  for (const auto& r : rows) {
    for (const auto& [k, v] : r.items()) {
      if (k == "type" || v.is_object() || v.is_array()) continue;
      if (std::find(cols.begin(), cols.end(), k) == cols.end()) cols.push_back(k);
    }
  }
  auto cell = [&](const json& r, const std::string& c) {
    if (!r.contains(c) || r[c].is_null()) return std::string("-");
    std::string s = r[c].is_string() ? r[c].get<std::string>() : r[c].dump();
    for (char& ch : s) {
      if (ch == '\n' || ch == '\t') ch = ' ';
    }
    if (s.size() > kMaxWidth) s = s.substr(0, kMaxWidth - 3) + "...";
    return s;
  };
  std::vector<size_t> width;
  for (const auto& c : cols) width.push_back(c.size());
  for (const auto& r : rows) {
    for (size_t i = 0; i < cols.size(); ++i) width[i] = std::max(width[i], cell(r, cols[i]).size());
  }
  std::string out;
  auto line = [&](const std::function<std::string(size_t)>& at) {
    for (size_t i = 0; i < cols.size(); ++i) {
      std::string s = at(i);
      out += s;
      if (i + 1 < cols.size()) out += std::string(width[i] - s.size() + 2, ' ');
    }
    out += "\n";
  };
  line([&](size_t i) { return cols[i]; });
  for (const auto& r : rows) line([&](size_t i) { return cell(r, cols[i]); });
  return out;
}

Status RunAdd(Context& ctx, const RecordArgs& a) {
  OUTPOST_ASSIGN_OR_RETURN(json doc, ReadDocument(a));
  OUTPOST_ASSIGN_OR_RETURN(node::Actor actor, ActorFor(ctx, a.reason));
  OUTPOST_ASSIGN_OR_RETURN(auto store, OpenStore(ctx));
  json r;
  std::string risk_human;
  if (a.type == "movement") {  // stored, then the risk engine recommends a lane
    OUTPOST_ASSIGN_OR_RETURN(node::RecordedMovement m, node::RecordMovement(*store, doc, actor));
    r = std::move(m.record);
    r["risk"] = node::RiskOutcomeJson(m.risk);
    risk_human = RiskOutcomeHuman(m.risk, r["id"].get<std::string>());
  } else {
    node::Records records(*store);
    OUTPOST_ASSIGN_OR_RETURN(r, records.Add(a.type, doc, actor));
  }
  std::string id = r["id"].get<std::string>();
  // stdout carries the id alone, so that ID=$(outpost record add ...) works;
  // the recommendation is for the officer's eyes (and in the JSON with --json).
  ctx.Emit(r, id);
  if (!ctx.json && !risk_human.empty()) ctx.err() << risk_human << "\n";
  return Status::Ok();
}

// An inspection and its seizures, in one transaction (node/lane.h).
Status RunInspect(Context& ctx, const RecordArgs& a) {
  OUTPOST_ASSIGN_OR_RETURN(json doc, ReadDocument(a));
  OUTPOST_ASSIGN_OR_RETURN(node::Actor actor, ActorFor(ctx, a.reason));
  OUTPOST_ASSIGN_OR_RETURN(auto store, OpenStore(ctx));
  OUTPOST_ASSIGN_OR_RETURN(node::RecordedInspection r,
                           node::RecordInspection(*store, a.id, doc, actor));
  std::string id = UuidToString(r.id);
  // stdout carries the id alone, as `record add` does.
  ctx.Emit(node::ToJson(r), id);
  if (!ctx.json) {
    ctx.err() << "recorded inspection of movement " << a.id << ": result " << r.result << ", "
              << r.seizures.size() << " seizure(s), selected by " << r.selection_basis << "\n";
  }
  return Status::Ok();
}

// SIGINT and SIGTERM during an import: the handler only notes the signal;
// the import stops at the next line, after committing what it has read. A
// second signal ends the process at once (the default action is restored),
// which loses nothing either: a transaction is all or nothing.
volatile std::sig_atomic_t g_stop_signal = 0;

extern "C" void NoteStopSignal(int sig) {
  g_stop_signal = sig;
  std::signal(sig, SIG_DFL);
}

// Installs NoteStopSignal for SIGINT and SIGTERM while it lives.
class StopOnSignal {
 public:
  StopOnSignal() {
    g_stop_signal = 0;
    struct sigaction sa {};
    sa.sa_handler = NoteStopSignal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, &old_int_);
    sigaction(SIGTERM, &sa, &old_term_);
  }
  ~StopOnSignal() {
    sigaction(SIGINT, &old_int_, nullptr);
    sigaction(SIGTERM, &old_term_, nullptr);
  }
  StopOnSignal(const StopOnSignal&) = delete;
  StopOnSignal& operator=(const StopOnSignal&) = delete;
  int signal() const { return g_stop_signal; }

 private:
  struct sigaction old_int_ {};
  struct sigaction old_term_ {};
};

Status RunImport(Context& ctx, const RecordArgs& a) {
  OUTPOST_ASSIGN_OR_RETURN(node::Actor actor, ActorFor(ctx, a.reason));
  StopOnSignal stop;
  std::ifstream in(a.file, std::ios::binary);
  if (!in) return Status::NotFound("FILE: cannot open " + a.file);
  // The source's name is part of each line's import key: by default the
  // file's name without its directory, so a file moved or copied elsewhere
  // to be corrected is still the same source.
  std::string source =
      a.source.empty() ? std::filesystem::path(a.file).filename().string() : a.source;
  int64_t total = 0;
  {
    std::ifstream count(a.file, std::ios::binary);
    std::string line;
    while (std::getline(count, line)) ++total;
  }
  OUTPOST_ASSIGN_OR_RETURN(auto store, OpenStore(ctx));
  node::Records records(*store);
  bool show_progress = !ctx.json && ::isatty(STDERR_FILENO);
  auto start = std::chrono::steady_clock::now();
  auto progress = [&](int64_t lines, int64_t loaded) {
    if (!show_progress) return;
    double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    double rate = secs > 0 ? lines / secs : 0;
    double eta = rate > 0 ? (total - lines) / rate : 0;
    std::fprintf(stderr, "\r%lld/%lld lines, %lld loaded, %.0f lines/s, ETA %.0f s   ",
                 static_cast<long long>(lines), static_cast<long long>(total),
                 static_cast<long long>(loaded), rate, eta);
  };
  // Movements are assessed as they are committed, like `record add movement`.
  std::map<std::string, int64_t> lanes;
  auto assess = [&](const Uuid& id, const json& doc) {
    node::RiskOutcome o = node::AssessStoredMovement(*store, id, doc);
    lanes[o.assessed() ? std::string(risk::LaneName(o.assessment->lane)) : "not assessed"]++;
  };
  OUTPOST_ASSIGN_OR_RETURN(auto rep, records.Import(in, source, actor, a.batch, progress, assess,
                                                    [&stop] { return stop.signal() != 0; }));
  if (show_progress) std::fprintf(stderr, "\n");
  json errors = json::array();
  std::string human = "loaded " + std::to_string(rep.loaded) + " of " + std::to_string(rep.lines) +
                      " lines (" + std::to_string(rep.rows) + " rows)";
  if (rep.skipped > 0) {
    human += "; " + std::to_string(rep.skipped) + " already imported from " + source +
             ", not loaded again";
  }
  for (const auto& e : rep.errors) {
    errors.push_back({{"line", e.line}, {"error", e.message}});
    human += "\nline " + std::to_string(e.line) + ": " + e.message;
  }
  if (!lanes.empty()) {
    human += "\nrisk:";
    for (const auto& [lane, n] : lanes) human += " " + lane + " " + std::to_string(n);
  }
  json report = {{"lines", rep.lines}, {"loaded", rep.loaded},  {"skipped", rep.skipped},
                 {"rows", rep.rows},   {"errors", errors},      {"lanes", lanes},
                 {"source", source},   {"stopped", rep.stopped}};
  ctx.Emit(report, human);
  if (rep.stopped) {
    return Status::Unavailable(
        std::string("import stopped by ") + (stop.signal() == SIGTERM ? "SIGTERM" : "SIGINT") +
        " after line " + std::to_string(rep.lines) + " of " + std::to_string(total) +
        ": every line up to there is stored; run the same command again to load the rest");
  }
  if (!rep.errors.empty()) {
    return Status::InvalidArgument(std::to_string(rep.errors.size()) +
                                   " line(s) refused; every valid line was loaded; correct them "
                                   "and run the same command again (loaded lines are skipped)");
  }
  return Status::Ok();
}

Status RunGet(Context& ctx, const RecordArgs& a) {
  OUTPOST_ASSIGN_OR_RETURN(node::Actor actor, ActorFor(ctx, a.reason));
  OUTPOST_ASSIGN_OR_RETURN(auto store, OpenStore(ctx));
  node::Records records(*store);
  OUTPOST_ASSIGN_OR_RETURN(json r, records.Get(a.id, actor));
  ctx.Emit(r, Human(r));
  return Status::Ok();
}

Status RunList(Context& ctx, const RecordArgs& a) {
  OUTPOST_ASSIGN_OR_RETURN(node::Actor actor, ActorFor(ctx, a.reason));
  node::ListQuery q;
  q.type = a.type;
  q.limit = a.limit;
  if (!a.since.empty()) {
    int64_t us = 0;
    if (!ParseUtcMicros(a.since, &us)) {
      return Status::InvalidArgument("--since: \"" + a.since +
                                     "\" is not a UTC time like 2026-11-28T00:00:00Z");
    }
    q.since_micros = us;
  }
  for (const auto& w : a.where) {
    auto eq = w.find('=');
    if (eq == std::string::npos || eq == 0) {
      return Status::InvalidArgument("--where: \"" + w + "\" is not FIELD=VALUE");
    }
    q.where.emplace_back(w.substr(0, eq), w.substr(eq + 1));
  }
  OUTPOST_ASSIGN_OR_RETURN(auto store, OpenStore(ctx));
  node::Records records(*store);
  OUTPOST_ASSIGN_OR_RETURN(json rows, records.List(q, actor));
  ctx.Emit(rows, rows.empty() ? std::string("(no records)") : Table(rows));
  return Status::Ok();
}

// Movements by name, plate, container, document or consignee (node/search.h).
Status RunSearch(Context& ctx, const RecordArgs& a) {
  OUTPOST_ASSIGN_OR_RETURN(node::Actor actor, ActorFor(ctx, a.reason));
  node::SearchQuery q{a.query, a.search_limit, a.page, std::nullopt};
  if (!a.before.empty()) q.before = a.before;
  OUTPOST_ASSIGN_OR_RETURN(auto store, OpenStore(ctx));
  OUTPOST_ASSIGN_OR_RETURN(json found, node::Search(*store, q, actor));
  json rows = json::array();
  auto joined = [](const json& list) {
    std::string s;
    for (const auto& x : list) s += (s.empty() ? "" : ", ") + x.get<std::string>();
    return s;
  };
  for (const auto& r : found["results"]) {
    rows.push_back({{"time", r["time"]},
                    {"plate", r["plate"]},
                    {"driver", r["driver"]},
                    {"containers", joined(r["containers"])},
                    {"consignees", joined(r["consignees"])},
                    {"lane", r["lane"]},
                    {"id", r["id"]}});
  }
  std::string human = rows.empty() ? std::string("(nothing found)") : Table(rows);
  if (!rows.empty()) {
    human += "\n" + std::to_string(found["total"].get<int64_t>()) + " found";
    if (!found["next_cursor"].is_null()) {
      human += "; next page: --before " + found["next_cursor"].get<std::string>();
    }
  }
  ctx.Emit(found, human);
  return Status::Ok();
}

Status RunUpdate(Context& ctx, const RecordArgs& a) {
  OUTPOST_ASSIGN_OR_RETURN(json patch, ReadDocument(a));
  OUTPOST_ASSIGN_OR_RETURN(node::Actor actor, ActorFor(ctx, a.reason));
  OUTPOST_ASSIGN_OR_RETURN(auto store, OpenStore(ctx));
  node::Records records(*store);
  OUTPOST_ASSIGN_OR_RETURN(json r, records.Update(a.id, patch, actor));
  ctx.Emit(r, Human(r));
  return Status::Ok();
}

Status RunDelete(Context& ctx, const RecordArgs& a) {
  OUTPOST_ASSIGN_OR_RETURN(node::Actor actor, ActorFor(ctx, a.reason));
  OUTPOST_ASSIGN_OR_RETURN(auto store, OpenStore(ctx));
  node::Records records(*store);
  OUTPOST_RETURN_IF_ERROR(records.Delete(a.id, actor));
  ctx.Emit({{"id", a.id}, {"deleted", true}}, "deleted " + a.id);
  return Status::Ok();
}

Status RunDigest(Context& ctx, const RecordArgs& a) {
  OUTPOST_ASSIGN_OR_RETURN(auto store, OpenStore(ctx));
  std::optional<std::string> scope;
  if (!a.scope.empty()) {
    OUTPOST_ASSIGN_OR_RETURN(auto known, KnownScopes(*store));
    if (!known.count(a.scope)) {
      std::string names;
      for (const auto& k : known) names += (names.empty() ? "" : ", ") + k;
      return Status::NotFound("--scope: \"" + a.scope + "\" is not a scope this node knows (" +
                              names + ")");
    }
    scope = a.scope;
  }
  OUTPOST_ASSIGN_OR_RETURN(auto digest, store->replica().Digest(scope));
  OUTPOST_ASSIGN_OR_RETURN(auto tables, store->replica().TableDigests(scope));
  json t = json::object();
  for (const auto& [name, hex] : tables) t[name] = hex;
  ctx.Emit({{"digest", ToHex(digest)}, {"scope", a.scope.empty() ? "all" : a.scope}, {"tables", t}},
           ToHex(digest));
  return Status::Ok();
}

Status RunSimulateInspections(Context& ctx, const RecordArgs& a) {
  OUTPOST_ASSIGN_OR_RETURN(std::string officer, ctx.Officer());
  OUTPOST_ASSIGN_OR_RETURN(auto store, OpenStore(ctx));
  node::InspectionSimulation o;
  o.seed = a.seed;
  o.officer = officer;
  OUTPOST_ASSIGN_OR_RETURN(node::InspectionCounts c, node::SimulateInspections(*store, o));
  ctx.Emit({{"inspections", c.inspections},
            {"irregularities", c.irregularities},
            {"seizures", c.seizures}},
           "recorded " + std::to_string(c.inspections) + " inspections of selected movements (" +
               std::to_string(c.irregularities) + " irregularities, " + std::to_string(c.seizures) +
               " seizures)");
  return Status::Ok();
}

Status RunSimulate(Context& ctx, const RecordArgs& a) {
  if (a.inspect) return RunSimulateInspections(ctx, a);
  node::SimulationOptions o;
  o.site = a.site;
  o.movements = a.movements;
  o.seed = a.seed;
  if (!a.start.empty() && !ParseUtcMicros(a.start, &o.start_micros)) {
    return Status::InvalidArgument("--start: \"" + a.start +
                                   "\" is not a UTC time like 2026-07-15T00:00:00Z");
  }
  std::ofstream file;
  std::ostream* out = &ctx.out();
  if (!a.out.empty() && a.out != "-") {
    file.open(a.out, std::ios::binary | std::ios::trunc);
    if (!file) return Status::IoError("--out: cannot write " + a.out);
    out = &file;
  }
  int64_t n = node::SimulateTraffic(o, [&](const json& m) { *out << m.dump() << "\n"; });
  if (file.is_open()) {
    file.close();
    if (!file) return Status::IoError("--out: writing " + a.out + " failed");
    ctx.Emit({{"movements", n}, {"out", a.out}, {"site", a.site}, {"seed", a.seed}},
             "wrote " + std::to_string(n) + " movements for " + a.site + " to " + a.out);
  }
  return Status::Ok();
}

// `record inspect` (node/lane.h): the inspection and its seizures at once.
void AddInspectCommand(CLI::App* record, Context& ctx, const std::shared_ptr<RecordArgs>& args) {
  auto* inspect = record->add_subcommand(
      "inspect",
      "Record an inspection of a movement with its result and seizures, in one transaction");
  inspect->add_option("MOVEMENT_ID", args->id, "The movement inspected")->required();
  inspect->add_option("--doc", args->json_text,
                      "The inspection as JSON: result, methods, note, ... and \"seizures\": "
                      "[{commodity_group, quantity, unit, ...}]");
  inspect->add_option("--file", args->file, "Read the document from FILE ('-' for stdin)");
  OnRun(inspect, ctx, [&ctx, args] { return RunInspect(ctx, *args); });
}

}  // namespace

void AddRecordCommands(CLI::App& app, Context& ctx) {
  auto args = std::make_shared<RecordArgs>();
  auto* record = app.add_subcommand("record", "Record and read movements, inspections, seizures");
  record->require_subcommand(1);

  auto* add = record->add_subcommand("add", "Add a record; prints its id");
  add->add_option("TYPE", args->type, "movement, inspection, seizure, person, ...")->required();
  add->add_option("--doc", args->json_text, "The document as JSON text");
  add->add_option("--file", args->file, "Read the document from FILE ('-' for stdin)");
  add->add_option("--reason", args->reason, "Why (recorded in the audit log)");
  OnRun(add, ctx, [&ctx, args] { return RunAdd(ctx, *args); });

  AddInspectCommand(record, ctx, args);

  auto* imp = record->add_subcommand(
      "import",
      "Load JSON lines, each with a \"type\"; lines already imported are skipped, so running "
      "it again resumes an interrupted or partly refused import");
  imp->add_option("FILE", args->file, "A .jsonl file")->required();
  imp->add_option("--batch", args->batch, "Records per transaction")->check(CLI::Range(1, 100000));
  imp->add_option("--source", args->source,
                  "Name of the input in the import keys (default: the file's name); lines "
                  "already imported from it are skipped");
  OnRun(imp, ctx, [&ctx, args] { return RunImport(ctx, *args); });

  auto* get = record->add_subcommand("get", "Show one record (a movement with what it carries)");
  get->add_option("ID", args->id, "The record's id")->required();
  get->add_option("--reason", args->reason, "Why you consult it (audited for personal data)");
  OnRun(get, ctx, [&ctx, args] { return RunGet(ctx, *args); });

  auto* list = record->add_subcommand("list", "List records of a type, newest first");
  list->add_option("TYPE", args->type, "Record type")->required();
  list->add_option("--since", args->since, "Only records from this UTC time on")
      ->check(UtcTimeCheck());
  list->add_option("--limit", args->limit, "At most N records (default 100)")
      ->check(CLI::Range(int64_t{1}, int64_t{1'000'000}));
  list->add_option("--where", args->where, "FIELD=VALUE (repeatable)");
  list->add_option("--reason", args->reason, "Why (audited for personal data)");
  OnRun(list, ctx, [&ctx, args] { return RunList(ctx, *args); });

  auto* search = record->add_subcommand(
      "search", "Find movements by name, plate, container, document or consignee, newest first");
  search->add_option("QUERY", args->query, "Words; each must match (case and accents ignored)")
      ->required();
  search->add_option("--limit", args->search_limit, "Results per page (default 20)")
      ->check(CLI::Range(int64_t{1}, node::kMaxSearchLimit));
  auto* page = search->add_option("--page", args->page, "Page K (default 1)")
                   ->check(CLI::Range(int64_t{1}, int64_t{1'000'000}));
  search->add_option("--before", args->before, "The cursor a previous page printed")
      ->excludes(page);
  search->add_option("--reason", args->reason, "Why (audited: a search reads personal data)");
  OnRun(search, ctx, [&ctx, args] { return RunSearch(ctx, *args); });

  auto* update = record->add_subcommand("update", "Change fields of a record");
  update->add_option("ID", args->id, "The record's id")->required();
  update->add_option("--doc", args->json_text, "The changed fields as JSON (null clears)");
  update->add_option("--file", args->file, "Read the changes from FILE ('-' for stdin)");
  update->add_option("--reason", args->reason, "Why (audited)");
  OnRun(update, ctx, [&ctx, args] { return RunUpdate(ctx, *args); });

  auto* del = record->add_subcommand("delete", "Delete a record, erasing its personal data");
  del->add_option("ID", args->id, "The record's id")->required();
  del->add_option("--reason", args->reason, "Why (required, audited)")->required();
  OnRun(del, ctx, [&ctx, args] { return RunDelete(ctx, *args); });

  auto* sim = app.add_subcommand("simulate", "Generate a crossing's traffic as JSON lines");
  sim->add_option("--site", args->site, "Site code of the crossing (default BA-GRA)")
      ->check([](const std::string& v) {
        Status s = schema::ValidateSiteCode("--site", v);
        // CLI11 names the option itself; keep the rule and the value.
        return s.ok() ? std::string() : s.message().substr(std::string("--site: ").size());
      });
  sim->add_option("--movements", args->movements, "How many movements (default 1000)")
      ->check(CLI::Range(int64_t{1}, int64_t{100000000}));
  sim->add_option("--seed", args->seed, "Seed: the same seed gives the same traffic");
  sim->add_option("--start", args->start, "Time of the first movement (UTC)")
      ->check(UtcTimeCheck());
  sim->add_option("--out", args->out, "Output file (default stdout)");
  sim->add_flag("--inspect", args->inspect,
                "Instead: play the officers' inspections of this node's selected movements "
                "(recorded, with seizures; for demos and training)");
  OnRun(sim, ctx, [&ctx, args] { return RunSimulate(ctx, *args); });

  auto* digest =
      app.add_subcommand("digest", "Hash of the replicated state (equal on converged nodes)");
  digest->add_option("--scope", args->scope, "Only one scope, e.g. shared or site:BA-GRA");
  OnRun(digest, ctx, [&ctx, args] { return RunDigest(ctx, *args); });
}

}  // namespace outpost::cli
