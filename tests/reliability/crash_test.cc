// kill -9 at random moments: a child process (crash_child.cc) writes through
// the real store, or merges received batches, and is killed with SIGKILL at
// a random time; then this driver checks the store it left behind.
//
// After a killed local-write run:
//  1. PRAGMA integrity_check is "ok";
//  2. every record the child acknowledged (printed after Add returned) is
//     present, live, and in the change log;
//  3. rows and log agree: live movements = movements in the log = the
//     acknowledged ones, plus at most the one committed before its ack was
//     printed; the version vector equals the log's chain length; the audit
//     chain verifies with one entry per movement;
//  4. the store reopens and accepts a new record.
// After a killed merge run:
//  1. integrity_check is "ok";
//  2. every batch the child acknowledged is applied; every batch is either
//     applied with all its rows present, or not applied with none of them
//     (the version vector moves with the rows);
//  3. merging every batch again converges: the digest of each scope equals
//     the sender's.
//
// Local writes: the kill comes after a random number (0..39) of
// acknowledged records, at a random point of the next transaction.
// Merge: after a random number (0..11) of acknowledged Merge calls, at a
// random point of the next call.
//
// Settings (environment): OUTPOST_CRASH_RUNS (runs per scenario, default
// 10), OUTPOST_CRASH_SEED (default: from the clock; always printed). Run r
// uses seed SEED + r, so one failing run replays with
// OUTPOST_CRASH_SEED=<its seed> OUTPOST_CRASH_RUNS=1.
#define BOOST_TEST_MODULE reliability_crash
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/test/unit_test.hpp>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <set>
#include <sstream>
#include <thread>

#include "base/clock.h"
#include "node/audit.h"
#include "node/records.h"
#include "node/store.h"
#include "reliability_util.h"
#include "tests/support/temp_dir.h"

extern char** environ;

using namespace outpost;
using outpost::testing::TempDir;
namespace fs = std::filesystem;

namespace {

struct Settings {
  int runs = 10;
  uint64_t seed = 0;
};

Settings FromEnv() {
  Settings s;
  if (const char* r = std::getenv("OUTPOST_CRASH_RUNS")) s.runs = std::atoi(r);
  if (const char* r = std::getenv("OUTPOST_CRASH_SEED")) {
    s.seed = std::strtoull(r, nullptr, 10);
  } else {
    s.seed = static_cast<uint64_t>(std::chrono::system_clock::now().time_since_epoch().count() %
                                   1'000'000'000);
  }
  return s;
}

// A child with its stdout on a pipe.
struct Child {
  pid_t pid = -1;
  int out = -1;
  std::string buffer;  // everything read from its stdout so far
  int status = 0;      // waitpid status once reaped
};

Child Spawn(const std::vector<std::string>& args) {
  int fds[2];
  BOOST_REQUIRE(::pipe(fds) == 0);
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_adddup2(&fa, fds[1], 1);
  posix_spawn_file_actions_addclose(&fa, fds[0]);
  posix_spawn_file_actions_addclose(&fa, fds[1]);
  std::vector<char*> argv;
  for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  Child c;
  int rc = posix_spawn(&c.pid, argv[0], &fa, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&fa);
  ::close(fds[1]);
  BOOST_REQUIRE_MESSAGE(rc == 0, "cannot start " << args[0]);
  c.out = fds[0];
  return c;
}

// Reads until the child printed "ready" (true) or closed its stdout (false).
bool WaitReady(Child& c) {
  char buf[4096];
  while (c.buffer.find("ready\n") == std::string::npos) {
    ssize_t n = ::read(c.out, buf, sizeof buf);
    if (n <= 0) return false;
    c.buffer.append(buf, static_cast<size_t>(n));
  }
  return true;
}

// Reads until the child acknowledged `k` items or closed its stdout; returns
// how many it acknowledged.
size_t WaitAcks(Child& c, size_t k) {
  char buf[4096];
  auto count = [&] {
    size_t n = 0;
    for (size_t p = c.buffer.find("\nack "); p != std::string::npos;
         p = c.buffer.find("\nack ", p + 1)) {
      if (c.buffer.find('\n', p + 1) != std::string::npos) ++n;  // whole lines only
    }
    return n;
  };
  size_t n = count();
  while (n < k) {
    ssize_t got = ::read(c.out, buf, sizeof buf);
    if (got <= 0) break;
    c.buffer.append(buf, static_cast<size_t>(got));
    n = count();
  }
  return n;
}

// SIGKILL (if still running), reap, and read what it printed before dying.
// Returns true if the signal is what ended it.
bool KillAndDrain(Child& c) {
  ::kill(c.pid, SIGKILL);
  char buf[4096];
  for (;;) {
    ssize_t n = ::read(c.out, buf, sizeof buf);
    if (n <= 0) break;
    c.buffer.append(buf, static_cast<size_t>(n));
  }
  ::close(c.out);
  ::waitpid(c.pid, &c.status, 0);
  return WIFSIGNALED(c.status) && WTERMSIG(c.status) == SIGKILL;
}

std::vector<std::string> Acks(const std::string& out) {
  std::vector<std::string> acks;
  std::istringstream in(out);
  std::string line;
  while (std::getline(in, line)) {
    // A line cut by the kill has no newline; getline still returns it, but a
    // cut ack was never complete, so only whole lines count.
    if (line.rfind("ack ", 0) == 0) acks.push_back(line.substr(4));
  }
  if (!out.empty() && out.back() != '\n' && !acks.empty() &&
      out.substr(out.rfind('\n') + 1).rfind("ack ", 0) == 0) {
    acks.pop_back();
  }
  return acks;
}

std::string IntegrityCheck(const std::string& dir) {
  DbOptions options;
  options.create = false;
  auto db = Db::Open(node::Store::DbPath(dir), options);
  if (!db.ok()) return "open: " + db.status().ToString();
  auto r = (*db)->QueryText("PRAGMA integrity_check");
  if (!r.ok()) return "integrity_check: " + r.status().ToString();
  if (*r != "ok") return "integrity_check: " + *r;
  return "";
}

void CopyStore(const fs::path& from, const fs::path& to) {
  fs::copy(from, to, fs::copy_options::recursive);
}

// `clock` and `random` must outlive the store.
std::unique_ptr<node::Store> CreateStore(const std::string& dir, node::Role role,
                                         const std::string& site, Clock& clock, Random& random) {
  node::Identity id;
  id.id = NewUuidV7(clock, random);
  id.role = role;
  id.name = site;
  id.site = site;
  auto s = node::Store::Create(dir, id, clock, random);
  BOOST_REQUIRE_MESSAGE(s.ok(), s.status().ToString());
  return std::move(*s);
}

// Checks a store a killed writer left; "" when every invariant holds.
std::string CheckAfterWrites(const std::string& dir, const std::vector<std::string>& acked) {
  if (std::string e = IntegrityCheck(dir); !e.empty()) return e;
  SystemClock clock;
  SystemRandom random;
  auto opened = node::Store::Open(dir, clock, random);
  if (!opened.ok()) return "reopen: " + opened.status().ToString();
  node::Store& store = **opened;
  const schema::Table* movement = store.catalogue().Find("movement");
  for (const auto& text : acked) {
    auto id = ParseUuid(text);
    if (!id.ok()) return "bad ack " + text;
    bool deleted = false;
    auto row = store.replica().ReadRow(*movement, *id, &deleted);
    if (!row.ok() || deleted) return "acknowledged record " + text + " is missing";
  }
  // Sealed as the next sync would (a stand-in signature: nothing verifies it).
  auto sealed = store.replica().Seal([](std::span<const uint8_t>) { return Bytes(64, 0x5a); });
  if (!sealed.ok()) return "seal: " + sealed.status().ToString();
  auto out = store.replica().BatchesFor(
      sync::VersionVector{}, [](const std::string&) { return true; }, SIZE_MAX);
  if (!out.ok()) return "log: " + out.status().ToString();
  std::set<std::string> logged;
  std::map<std::string, uint64_t> chain;  // scope -> batches in the log
  for (const auto& b : *out) {
    auto body = sync::DecodeBatchBody(b.batch.body);
    if (!body.ok()) return "log: " + body.status().ToString();
    if (body->seq != ++chain[body->scope]) return "log: gap in " + body->scope;
    for (const auto& r : body->rows) {
      if (r.table == movement->id) logged.insert(UuidToString(r.id));
    }
  }
  for (const auto& text : acked) {
    if (!logged.count(text)) return "acknowledged record " + text + " is not in the change log";
  }
  auto vv = store.replica().GetVersionVector();
  if (!vv.ok()) return vv.status().ToString();
  for (const auto& [scope, n] : chain) {
    if (vv->Get(store.identity().id, scope) != n) {
      return "version vector of " + scope + " is " +
             std::to_string(vv->Get(store.identity().id, scope)) + ", the log holds " +
             std::to_string(n);
    }
  }
  auto live = store.replica().CountLive(*movement);
  if (!live.ok()) return live.status().ToString();
  if (*live != static_cast<int64_t>(logged.size())) {
    return std::to_string(*live) + " live movements but " + std::to_string(logged.size()) +
           " in the log";
  }
  if (*live != static_cast<int64_t>(acked.size()) &&
      *live != static_cast<int64_t>(acked.size()) + 1) {
    return std::to_string(*live) + " movements for " + std::to_string(acked.size()) + " acks";
  }
  auto audit = node::AuditLog(store).Verify();
  if (!audit.ok()) return "audit: " + audit.status().ToString();
  if (!audit->ok) return "audit chain broken: " + audit->first_broken;
  if (audit->entries != *live) {
    return "audit holds " + std::to_string(audit->entries) + " entries for " +
           std::to_string(*live) + " movements";
  }
  node::Records records(store);
  auto added = records.Add("movement", reliability::TruckDoc(999'999), {"BA-GRA-0042", ""});
  if (!added.ok()) return "a new write after restart failed: " + added.status().ToString();
  return "";
}

// What the driver knows about each exported batch.
struct SentBatch {
  sync::NodeId origin;
  std::string scope;
  uint64_t seq;
  std::vector<std::pair<uint16_t, Uuid>> rows;
};

struct Sender {
  std::vector<sync::SignedBatch> batches;
  std::vector<SentBatch> sent;
  std::map<std::string, sync::Hash> digests;  // per scope
};

Sender MakeSender(const std::string& dir, int docs) {
  FakeClock clock(1'795'000'000'000'000);
  SeededRandom random(11);
  auto store = CreateStore(dir, node::Role::kSite, "BA-GRA", clock, random);
  node::Records records(*store);
  for (int i = 0; i < docs; ++i) {
    clock.Advance(1000);
    auto r = records.Add("movement", reliability::TruckDoc(i), {"BA-GRA-0042", ""});
    BOOST_REQUIRE_MESSAGE(r.ok(), r.status().ToString());
  }
  Sender s;
  BOOST_REQUIRE(
      store->replica().Seal([](std::span<const uint8_t>) { return Bytes(64, 0x5a); }).ok());
  auto out = store->replica().BatchesFor(
      sync::VersionVector{}, [](const std::string&) { return true; }, SIZE_MAX);
  BOOST_REQUIRE(out.ok());
  for (auto& b : *out) {
    auto body = sync::DecodeBatchBody(b.batch.body);
    BOOST_REQUIRE(body.ok());
    SentBatch sb{body->origin, body->scope, body->seq, {}};
    for (const auto& r : body->rows) sb.rows.emplace_back(r.table, r.id);
    s.sent.push_back(std::move(sb));
    s.batches.push_back(b.batch);
    if (!s.digests.count(b.scope)) {
      auto d = store->replica().Digest(b.scope);
      BOOST_REQUIRE(d.ok());
      s.digests[b.scope] = *d;
    }
  }
  return s;
}

// Checks a store a killed merger left; "" when every invariant holds.
std::string CheckAfterMerge(const std::string& dir, const Sender& sender, size_t acked) {
  if (std::string e = IntegrityCheck(dir); !e.empty()) return e;
  SystemClock clock;
  SystemRandom random;
  auto opened = node::Store::Open(dir, clock, random);
  if (!opened.ok()) return "reopen: " + opened.status().ToString();
  node::Store& store = **opened;
  auto vv = store.replica().GetVersionVector();
  if (!vv.ok()) return vv.status().ToString();
  for (size_t i = 0; i < sender.sent.size(); ++i) {
    const SentBatch& b = sender.sent[i];
    bool applied = vv->Get(b.origin, b.scope) >= b.seq;
    if (i < acked && !applied) {
      return "acknowledged batch " + b.scope + "#" + std::to_string(b.seq) + " is not applied";
    }
    for (const auto& [table_id, id] : b.rows) {
      const schema::Table* t = store.replica().catalogue().FindById(table_id);
      if (t == nullptr) return "unknown table " + std::to_string(table_id);
      bool deleted = false;
      bool present = store.replica().ReadRow(*t, id, &deleted).ok();
      if (present != applied) {
        return "batch " + b.scope + "#" + std::to_string(b.seq) + " is " +
               (applied ? "in the version vector but its row " : "not applied but its row ") +
               t->name + " " + UuidToString(id) + (present ? " is present" : " is missing");
      }
    }
  }
  auto accept = [](const sync::ChangeBatch&, const sync::SignedBatch&) { return Status::Ok(); };
  auto rep = store.replica().Merge(sender.batches, accept);
  if (!rep.ok()) return "re-merge: " + rep.status().ToString();
  if (!rep->refused.empty()) return "re-merge refused: " + rep->refused.front().ToString();
  for (const auto& [scope, digest] : sender.digests) {
    auto d = store.replica().Digest(scope);
    if (!d.ok()) return d.status().ToString();
    if (*d != digest) return "digest of " + scope + " differs from the sender's after re-merge";
  }
  return "";
}

struct Tally {
  int runs = 0, killed = 0, finished_first = 0;
  size_t acks = 0;
};

}  // namespace

BOOST_AUTO_TEST_SUITE(crash)

BOOST_AUTO_TEST_CASE(kill9_during_local_writes) {
  Settings s = FromEnv();
  BOOST_TEST_MESSAGE("kill9_during_local_writes: runs " << s.runs
                                                        << ", OUTPOST_CRASH_SEED=" << s.seed);
  TempDir root;
  {
    FakeClock clock(1'795'000'000'000'000);
    SeededRandom random(7);
    CreateStore((root.path / "template").string(), node::Role::kSite, "BA-GRA", clock, random);
  }
  Tally t;
  for (int run = 0; run < s.runs; ++run) {
    uint64_t seed = s.seed + static_cast<uint64_t>(run);
    SeededRandom rnd(seed);
    fs::path dir = root.path / ("run-" + std::to_string(run));
    CopyStore(root.path / "template", dir);
    Child c = Spawn({RELIABILITY_CHILD, "write", dir.string(), std::to_string(run * 1000)});
    BOOST_REQUIRE_MESSAGE(WaitReady(c), "child did not start (seed " << seed << ")");
    // Let it acknowledge k records (0..39), then kill at a random point of
    // the next transaction: uniform over 1.2 times the mean time per record
    // so far, so the kill lands before, inside and after the commit's fsync
    // whatever the machine's load.
    size_t k = rnd.Next64() % 40;
    auto t0 = std::chrono::steady_clock::now();
    size_t seen = WaitAcks(c, k);
    auto per_record = seen > 0
                          ? (std::chrono::steady_clock::now() - t0) / static_cast<int64_t>(seen)
                          : std::chrono::steady_clock::duration(std::chrono::milliseconds(30));
    auto window = std::chrono::duration_cast<std::chrono::microseconds>(per_record * 6 / 5);
    std::this_thread::sleep_for(
        std::chrono::microseconds(rnd.Next64() % static_cast<uint64_t>(window.count() + 1)));
    bool killed = KillAndDrain(c);
    auto acked = Acks(c.buffer);
    ++t.runs;
    t.killed += killed;
    t.acks += acked.size();
    std::string err = CheckAfterWrites(dir.string(), acked);
    BOOST_TEST(err.empty(), "run " << run << " (OUTPOST_CRASH_SEED=" << seed
                                   << " OUTPOST_CRASH_RUNS=1), " << acked.size()
                                   << " acks: " << err);
    if (err.empty()) fs::remove_all(dir);  // keep a failing store for a look
  }
  BOOST_TEST_MESSAGE("kill9_during_local_writes: " << t.runs << " runs, " << t.killed
                                                   << " killed by SIGKILL, " << t.acks
                                                   << " acknowledged records checked");
  BOOST_TEST(t.killed == t.runs);
}

BOOST_AUTO_TEST_CASE(kill9_during_merge) {
  Settings s = FromEnv();
  BOOST_TEST_MESSAGE("kill9_during_merge: runs " << s.runs << ", OUTPOST_CRASH_SEED=" << s.seed);
  TempDir root;
  Sender sender = MakeSender((root.path / "sender").string(), 40);
  std::string file = (root.path / "batches.bin").string();
  BOOST_REQUIRE(reliability::WriteBatchFile(file, sender.batches).ok());
  {
    FakeClock clock(1'795'000'000'000'000);
    SeededRandom random(8);
    CreateStore((root.path / "template").string(), node::Role::kHq, "HQ", clock, random);
  }
  // One uninterrupted merge first: it must converge, and its duration sets
  // the kill window when a run is killed before its first acknowledgement.
  int64_t full_us = 0;
  {
    fs::path dir = root.path / "calibrate";
    CopyStore(root.path / "template", dir);
    Child c = Spawn({RELIABILITY_CHILD, "merge", dir.string(), file, "1"});
    BOOST_REQUIRE(WaitReady(c));
    auto t0 = std::chrono::steady_clock::now();
    char buf[4096];
    while (::read(c.out, buf, sizeof buf) > 0) {
    }
    full_us =
        std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - t0)
            .count();
    ::close(c.out);
    ::waitpid(c.pid, &c.status, 0);
    BOOST_REQUIRE_MESSAGE(WIFEXITED(c.status) && WEXITSTATUS(c.status) == 0, "merge child failed");
    BOOST_REQUIRE(CheckAfterMerge(dir.string(), sender, sender.batches.size()).empty());
  }
  BOOST_TEST_MESSAGE("kill9_during_merge: " << sender.batches.size() << " batches, a full merge "
                                            << full_us / 1000 << " ms");
  Tally t;
  for (int run = 0; run < s.runs; ++run) {
    uint64_t seed = s.seed + static_cast<uint64_t>(run);
    SeededRandom rnd(seed);
    fs::path dir = root.path / ("run-" + std::to_string(run));
    CopyStore(root.path / "template", dir);
    Child c = Spawn({RELIABILITY_CHILD, "merge", dir.string(), file, std::to_string(seed)});
    BOOST_REQUIRE_MESSAGE(WaitReady(c), "child did not start (seed " << seed << ")");
    // Let it acknowledge k Merge calls (0..11; a full merge is ~11 calls),
    // then kill at a random point of the next call.
    size_t k = rnd.Next64() % 12;
    auto t0 = std::chrono::steady_clock::now();
    size_t seen = WaitAcks(c, k);
    auto per_call =
        seen > 0 ? (std::chrono::steady_clock::now() - t0) / static_cast<int64_t>(seen)
                 : std::chrono::steady_clock::duration(std::chrono::microseconds(full_us / 11 + 1));
    auto window = std::chrono::duration_cast<std::chrono::microseconds>(per_call * 6 / 5);
    std::this_thread::sleep_for(
        std::chrono::microseconds(rnd.Next64() % static_cast<uint64_t>(window.count() + 1)));
    bool killed = KillAndDrain(c);
    auto acks = Acks(c.buffer);
    size_t acked = acks.empty() ? 0 : std::stoul(acks.back());
    ++t.runs;
    t.killed += killed;
    t.finished_first += !killed;
    t.acks += acked;
    std::string err = CheckAfterMerge(dir.string(), sender, acked);
    BOOST_TEST(err.empty(), "run " << run << " (OUTPOST_CRASH_SEED=" << seed
                                   << " OUTPOST_CRASH_RUNS=1), " << acked
                                   << " batches acknowledged: " << err);
    if (err.empty()) fs::remove_all(dir);
  }
  BOOST_TEST_MESSAGE("kill9_during_merge: "
                     << t.runs << " runs, " << t.killed << " killed mid-merge, " << t.finished_first
                     << " finished before the kill, " << t.acks << " acknowledged batches checked");
}

BOOST_AUTO_TEST_SUITE_END()
