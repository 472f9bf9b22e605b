// Record commands: what an officer records, and the replicated state.
//   outpost record add TYPE (--json DOC | --file FILE | --file -)
//   outpost record import FILE.jsonl
//   outpost record get ID
//   outpost record list TYPE [--since TIME] [--limit N] [--where FIELD=VALUE ...]
//   outpost record update ID --json PATCH
//   outpost record delete ID --reason TEXT
//   outpost digest [--scope S]
//   outpost simulate --site CODE --movements N --seed S --out FILE.jsonl
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <map>
#include <sstream>

#include "cli/commands.h"
#include "cli/node_access.h"
#include "cli/risk_assess.h"
#include "node/records.h"
#include "node/simulate.h"
#include "schema/validators.h"

namespace outpost::cli {
namespace {

using nlohmann::json;

struct RecordArgs {
  std::string type, id, json_text, file, reason, since, scope, site = "BA-GRA", out;
  int64_t movements = 1000;
  uint64_t seed = 1;
  std::string start;
  bool inspect = false;
  int64_t limit = 100;
  std::vector<std::string> where;
  size_t batch = 1000;
};

Result<node::Actor> ActorFor(Context& ctx, const std::string& reason) {
  OUTPOST_ASSIGN_OR_RETURN(std::string officer, ctx.Officer());
  return node::Actor{officer, reason};
}

// Reads the document from --json, --file FILE or standard input (--file -).
Result<json> ReadDocument(const RecordArgs& a) {
  std::string text;
  int sources = !a.json_text.empty() + !a.file.empty();
  if (sources > 1) return Status::InvalidArgument("give the document once: --json or --file");
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

Status RunAdd(Context& ctx, const RecordArgs& a) {
  OUTPOST_ASSIGN_OR_RETURN(json doc, ReadDocument(a));
  OUTPOST_ASSIGN_OR_RETURN(node::Actor actor, ActorFor(ctx, a.reason));
  OUTPOST_ASSIGN_OR_RETURN(auto store, OpenStore(ctx));
  node::Records records(*store);
  OUTPOST_ASSIGN_OR_RETURN(json r, records.Add(a.type, doc, actor));
  std::string human = r["id"].get<std::string>();
  if (a.type == "movement") {  // the risk engine recommends a lane (cmd_risk.cc)
    std::string risk_human;
    r["risk"] = AssessRecordedMovement(*store, human, doc, &risk_human);
    human += "\n" + risk_human;
  }
  ctx.Emit(r, human);
  return Status::Ok();
}

Status RunImport(Context& ctx, const RecordArgs& a) {
  OUTPOST_ASSIGN_OR_RETURN(node::Actor actor, ActorFor(ctx, a.reason));
  std::ifstream in(a.file, std::ios::binary);
  if (!in) return Status::NotFound("FILE: cannot open " + a.file);
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
    std::string ignored;
    json r = AssessRecordedMovement(*store, UuidToString(id), doc, &ignored);
    lanes[r.value("assessed", false) ? r.value("lane", std::string("?")) : "not assessed"]++;
  };
  OUTPOST_ASSIGN_OR_RETURN(auto rep, records.Import(in, a.file, actor, a.batch, progress, assess));
  if (show_progress) std::fprintf(stderr, "\n");
  json errors = json::array();
  std::string human = "loaded " + std::to_string(rep.loaded) + " of " + std::to_string(rep.lines) +
                      " lines (" + std::to_string(rep.rows) + " rows)";
  for (const auto& e : rep.errors) {
    errors.push_back({{"line", e.line}, {"error", e.message}});
    human += "\nline " + std::to_string(e.line) + ": " + e.message;
  }
  if (!lanes.empty()) {
    human += "\nrisk:";
    for (const auto& [lane, n] : lanes) human += " " + lane + " " + std::to_string(n);
  }
  ctx.Emit({{"lines", rep.lines},
            {"loaded", rep.loaded},
            {"rows", rep.rows},
            {"errors", errors},
            {"lanes", lanes}},
           human);
  if (!rep.errors.empty()) {
    return Status::InvalidArgument(std::to_string(rep.errors.size()) +
                                   " line(s) refused; every valid line was loaded");
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
  std::string human;
  for (const auto& r : rows) human += r.dump() + "\n";
  if (rows.empty()) human = "(no records)";
  ctx.Emit(rows, human);
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
  if (!a.scope.empty()) scope = a.scope;
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

}  // namespace

void AddRecordCommands(CLI::App& app, Context& ctx) {
  auto args = std::make_shared<RecordArgs>();
  auto* record = app.add_subcommand("record", "Record and read movements, inspections, seizures");
  record->require_subcommand(1);

  auto* add = record->add_subcommand("add", "Add a record; prints its id");
  add->add_option("TYPE", args->type, "movement, inspection, seizure, person, ...")->required();
  add->add_option("--json", args->json_text, "The document as JSON text");
  add->add_option("--file", args->file, "Read the document from FILE ('-' for stdin)");
  add->add_option("--reason", args->reason, "Why (recorded in the audit log)");
  OnRun(add, ctx, [&ctx, args] { return RunAdd(ctx, *args); });

  auto* imp = record->add_subcommand("import", "Load JSON lines, each with a \"type\"");
  imp->add_option("FILE", args->file, "A .jsonl file")->required();
  imp->add_option("--batch", args->batch, "Records per transaction")->check(CLI::Range(1, 100000));
  OnRun(imp, ctx, [&ctx, args] { return RunImport(ctx, *args); });

  auto* get = record->add_subcommand("get", "Show one record (a movement with what it carries)");
  get->add_option("ID", args->id, "The record's id")->required();
  get->add_option("--reason", args->reason, "Why you consult it (audited for personal data)");
  OnRun(get, ctx, [&ctx, args] { return RunGet(ctx, *args); });

  auto* list = record->add_subcommand("list", "List records of a type, newest first");
  list->add_option("TYPE", args->type, "Record type")->required();
  list->add_option("--since", args->since, "Only records from this UTC time on");
  list->add_option("--limit", args->limit, "At most N records (default 100)");
  list->add_option("--where", args->where, "FIELD=VALUE (repeatable)");
  list->add_option("--reason", args->reason, "Why (audited for personal data)");
  OnRun(list, ctx, [&ctx, args] { return RunList(ctx, *args); });

  auto* update = record->add_subcommand("update", "Change fields of a record");
  update->add_option("ID", args->id, "The record's id")->required();
  update->add_option("--json", args->json_text, "The changed fields as JSON (null clears)");
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
  sim->add_option("--start", args->start, "Time of the first movement (UTC)");
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
