// The process crash_test kills with SIGKILL. It does real work through the
// real store and reports on stdout (unbuffered, one write(2) per line) each
// piece of work only after it committed:
//
//   crash_child write DIR START
//     Opens the store in DIR and adds truck movements (TruckDoc(START),
//     TruckDoc(START+1), ...) through node::Records, one transaction each,
//     until killed. Prints "ready", then "ack <record id>" after each Add
//     returned OK.
//   crash_child merge DIR BATCH_FILE SEED
//     Opens the store in DIR and merges the batches of BATCH_FILE in file
//     order with sync::Replica::Merge, in calls of 1..6 batches (sizes drawn
//     from SEED). Prints "ready", then "ack <n>" after each Merge call
//     returned OK, n = batches of the file merged so far. Exits 0 at the end.
//
// Exit status: 0 done, 1 an error (printed on stderr), 2 usage. Dies with its
// parent (PR_SET_PDEATHSIG), so a failed driver leaves nothing running.
#include <signal.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <string>

#include "base/clock.h"
#include "node/records.h"
#include "node/store.h"
#include "reliability_util.h"

namespace {

using namespace outpost;

void Say(const std::string& line) {
  std::string l = line + "\n";
  size_t off = 0;
  while (off < l.size()) {
    ssize_t n = ::write(1, l.data() + off, l.size() - off);
    if (n <= 0) std::_Exit(1);  // the driver went away
    off += static_cast<size_t>(n);
  }
}

int Fail(const Status& s) {
  std::fprintf(stderr, "crash_child: %s\n", s.ToString().c_str());
  return 1;
}

int Write(const std::string& dir, int64_t start) {
  SystemClock clock;
  SystemRandom random;
  auto store = node::Store::Open(dir, clock, random);
  if (!store.ok()) return Fail(store.status());
  node::Records records(**store);
  node::Actor officer{"BA-GRA-0042", ""};
  Say("ready");
  for (int64_t i = start; i < start + 1'000'000; ++i) {
    auto r = records.Add("movement", reliability::TruckDoc(i), officer);
    if (!r.ok()) return Fail(r.status());
    Say("ack " + (*r)["id"].get<std::string>());
  }
  return 0;
}

int Merge(const std::string& dir, const std::string& file, uint64_t seed) {
  SystemClock clock;
  SystemRandom random;
  auto store = node::Store::Open(dir, clock, random);
  if (!store.ok()) return Fail(store.status());
  auto batches = reliability::ReadBatchFile(file);
  if (!batches.ok()) return Fail(batches.status());
  // Signatures are not under test here (keys_test covers them).
  auto accept = [](const sync::ChangeBatch&, const sync::SignedBatch&) { return Status::Ok(); };
  SeededRandom sizes(seed);
  Say("ready");
  size_t done = 0;
  while (done < batches->size()) {
    size_t n = std::min<size_t>(1 + sizes.Next64() % 6, batches->size() - done);
    std::span<const sync::SignedBatch> call(batches->data() + done, n);
    auto rep = (*store)->replica().Merge(call, accept);
    if (!rep.ok()) return Fail(rep.status());
    if (!rep->refused.empty()) return Fail(rep->refused.front());
    done += n;
    Say("ack " + std::to_string(done));
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  ::prctl(PR_SET_PDEATHSIG, SIGKILL);
  std::string cmd = argc > 1 ? argv[1] : "";
  if (cmd == "write" && argc == 4) return Write(argv[2], std::atoll(argv[3]));
  if (cmd == "merge" && argc == 5)
    return Merge(argv[2], argv[3], std::strtoull(argv[4], nullptr, 10));
  std::fprintf(stderr,
               "usage: crash_child write DIR START | crash_child merge DIR BATCH_FILE SEED\n");
  return 2;
}
