// Compression benchmark (issue 22): wire bytes per movement for a day of
// simulated Gradiška traffic, side by side in one run:
//   - uncompressed batches (the format before compression),
//   - zstd per batch, no dictionary,
//   - zstd per batch with the structure dictionary (sync/dictionary.h),
//     trained on ANOTHER simulated day (another seed) with names, plates,
//     document numbers and free text blanked,
// against `zstd -19` of the same day's JSON lines as the floor (libzstd at
// level 19, the CLI's compressor). Two shapes of the same day: "desk"
// (one movement per transaction, one batch each: a crossing recording as
// it goes) and "import" (1,000 movements per transaction, batches up to
// 48 KB: `outpost simulate` / `record import`, the shape of the 83.2 s
// figure in docs/protocol.md).
//
// Wire bytes = every Chunk message as the session packs it (<= 65,519
// bytes) + 16-byte AEAD tag + 4-byte frame length; the handshake, Hello,
// Ack and Done (~1 KB a session) are not counted. Also: CPU seconds to
// encode (envelope + compression) and decode (envelope + expansion) the
// day's batches against Replica::Merge of the same batches into an empty
// HQ store (Ed25519 verified per batch); and, for comparison only, one
// zstd stream per session over the plain chunks (not built).
// Usage: compress_bench [MOVEMENTS] [REPEATS]   (default 15000, 3)
#include <zstd.h>

#include <cinttypes>
#include <sstream>

#include "bench/bench_util.h"
#include "crypto/keys.h"
#include "crypto/secret.h"
#include "node/records.h"
#include "node/simulate.h"
#include "sync/dictionary.h"
#include "sync/session.h"
#include "sync/wire.h"

using namespace outpost;
using namespace outpost::bench;
using nlohmann::json;

namespace {

struct Day {
  std::unique_ptr<node::Store> store;
  std::vector<sync::SignedBatch> batches;
  std::string jsonl;
  int64_t movements = 0, rows = 0;
};

// A day at BA-GRA recorded `per_txn` movements per transaction, sealed and
// signed with `key`.
Day SimulateDay(const std::string& dir, int64_t n, uint64_t seed, size_t per_txn,
                const crypto::SigningKey& key, Clock& clock, Random& random) {
  Day d;
  node::SimulationOptions o;
  o.site = "BA-GRA";
  o.movements = n;
  o.seed = seed;
  std::ostringstream lines;
  d.movements = node::SimulateTraffic(o, [&](const json& m) { lines << m.dump() << "\n"; });
  d.jsonl = lines.str();
  node::Identity id;
  id.id = NewUuidV7(clock, random);
  id.name = "Gradiška";
  id.site = "BA-GRA";
  auto store = node::Store::Create(dir, id, clock, random);
  Check(store.ok(), store.status().ToString());
  d.store = std::move(*store);
  node::Records records(*d.store);
  std::istringstream in(d.jsonl);
  auto rep = records.Import(in, "day.jsonl", node::Actor{"bench", ""}, per_txn);
  Check(rep.ok() && rep->errors.empty(), "the simulated day imports");
  d.rows = rep->rows;
  auto sealed = d.store->replica().Seal([&key](std::span<const uint8_t> in) {
    auto sig = key.Sign(in);
    return Bytes(sig.begin(), sig.end());
  });
  Check(sealed.ok(), "seal");
  auto out = d.store->replica().BatchesFor(
      sync::VersionVector{}, [](auto&) { return true; }, SIZE_MAX);
  Check(out.ok(), "batches");
  for (auto& b : *out) d.batches.push_back(std::move(b.batch));
  return d;
}

struct Wire {
  uint64_t bytes = 0, chunks = 0;
  double compress_s = 0, expand_s = 0;
  std::vector<std::vector<sync::SignedBatch>> chunks_in;  // as HQ decodes them
};

// The day's batches as a session sends them with `how`.
Wire Send(const Day& day, sync::BatchCompression how, const sync::ZstdDictionaries* dicts) {
  Wire w;
  sync::ZstdCodec codec;
  std::vector<Bytes> enc;
  w.compress_s = Seconds([&] {
    for (const auto& b : day.batches) enc.push_back(*sync::EncodeSignedBatch(b, codec, how, dicts));
  });
  sync::ChunkMsg chunk;
  size_t size = 64;
  auto flush = [&] {
    chunk.number = ++w.chunks;
    Bytes m = sync::EncodeMessage(chunk);
    Check(m.size() <= sync::kMaxMessageBytes, "a chunk fits a frame");
    w.bytes += m.size() + 16 + 4;
    std::vector<sync::SignedBatch> in;
    w.expand_s += Seconds([&] {
      for (const auto& e : chunk.batches) {
        auto sb = sync::DecodeSignedBatch(e, codec, dicts, sync::kMaxChunkRawBytes);
        Check(sb.ok(), "decodes");
        in.push_back(std::move(*sb));
      }
    });
    w.chunks_in.push_back(std::move(in));
    chunk.batches.clear();
    size = 64;
  };
  for (auto& e : enc) {
    size_t add = (e.size() + 7) / 8 * 8 + 8;
    if (size + add > sync::kMaxMessageBytes) flush();
    size += add;
    chunk.batches.push_back(std::move(e));
  }
  if (!chunk.batches.empty()) flush();
  return w;
}

// For comparison, NOT built: the plain chunks through one zstd stream per
// session direction (level 3), flushed at the end of each chunk, so every
// batch is compressed in the context of all the batches before it.
std::pair<uint64_t, double> StreamBytes(const Day& day) {
  std::unique_ptr<ZSTD_CCtx, size_t (*)(ZSTD_CCtx*)> cctx(ZSTD_createCCtx(), ZSTD_freeCCtx);
  ZSTD_CCtx_setParameter(cctx.get(), ZSTD_c_compressionLevel, sync::kDefaultZstdLevel);
  uint64_t bytes = 0;
  sync::ChunkMsg chunk;
  size_t size = 64;
  Bytes out(ZSTD_CStreamOutSize());
  auto flush = [&] {
    Bytes m = sync::EncodeMessage(chunk);
    ZSTD_inBuffer in{m.data(), m.size(), 0};
    size_t left;
    do {
      ZSTD_outBuffer o{out.data(), out.size(), 0};
      left = ZSTD_compressStream2(cctx.get(), &o, &in, ZSTD_e_flush);
      Check(!ZSTD_isError(left), "zstd stream");
      bytes += o.pos;
    } while (left != 0);
    bytes += 16 + 4;
    chunk.batches.clear();
    size = 64;
  };
  double s = Seconds([&] {
    for (const auto& b : day.batches) {
      Bytes e = sync::EncodeSignedBatch(b);
      size_t add = (e.size() + 7) / 8 * 8 + 8;
      if (size + add > sync::kMaxMessageBytes) flush();
      size += add;
      chunk.batches.push_back(std::move(e));
    }
    if (!chunk.batches.empty()) flush();
  });
  return {bytes, s};
}

// Seconds for HQ to merge the chunks into an empty store, each batch's
// signature verified.
double MergeSeconds(const std::string& dir, const Wire& w, const crypto::VerifyKey& vk,
                    Clock& clock, Random& random) {
  node::Identity id;
  id.id = NewUuidV7(clock, random);
  id.role = node::Role::kHq;
  id.name = "HQ";
  id.site = "HQ";
  auto hq = node::Store::Create(dir, id, clock, random);
  Check(hq.ok(), hq.status().ToString());
  auto verify = [&vk](const sync::ChangeBatch&, const sync::SignedBatch& sb) {
    return vk.Verify(sync::SigningInput(sb.body), sb.signature);
  };
  return Seconds([&] {
    for (const auto& c : w.chunks_in) {
      auto rep = (*hq)->replica().Merge(c, verify);
      Check(rep.ok() && rep->refused.empty(), "merge");
    }
  });
}

// Where a day's raw bytes go, per movement: what no compressor shrinks
// (random ids, references, hashes, signatures), closed-list codes, other
// text (names, plates, documents, dates, free text), the rest (numbers,
// tags, lengths, column numbers, the envelope).
void Breakdown(const Day& d) {
  double ids = 0, refs = 0, sig = 0, codes = 0, text = 0, total = 0;
  for (const auto& sb : d.batches) {
    auto b = sync::DecodeBatchBody(sb.body);
    Check(b.ok(), "body");
    total += sync::EncodeSignedBatch(sb).size();
    sig += 16 + 32 + 64;  // origin, previous hash, signature
    for (const auto& r : b->rows) {
      ids += 16;
      const schema::Table* t = d.store->catalogue().FindById(r.table);
      for (const auto& c : r.columns) {
        const schema::Column* col = t ? t->FindColumnById(c.column) : nullptr;
        if (const auto* s = std::get_if<std::string>(&c.value)) {
          (col && sync::IsClosedListColumn(*col) ? codes : text) += s->size();
        } else if (const auto* x = std::get_if<Bytes>(&c.value)) {
          refs += x->size();
        }
      }
    }
  }
  const double mv = static_cast<double>(d.movements);
  std::printf(
      "  plain envelope bytes per movement: %.0f = row ids %.0f + references %.0f + "
      "origin/hash/signature %.0f (together %.0f) + codes %.0f + other text %.0f + rest %.0f\n",
      total / mv, ids / mv, refs / mv, sig / mv, (ids + refs + sig) / mv, codes / mv, text / mv,
      (total - ids - refs - sig - codes - text) / mv);
}

void Shape(const char* name, size_t per_txn, int64_t n, int repeats, Scratch& scratch,
           const sync::ZstdDictionaries& dicts, Clock& clock, Random& random) {
  auto key = crypto::SigningKey::Generate(random);
  Day day = SimulateDay(scratch.dir.string() + "/" + name, n, 2026, per_txn, key, clock, random);
  Bytes floor(ZSTD_compressBound(day.jsonl.size()));
  size_t fl = ZSTD_compress(floor.data(), floor.size(), day.jsonl.data(), day.jsonl.size(), 19);
  Check(!ZSTD_isError(fl), "zstd -19");
  const double mv = static_cast<double>(day.movements);
  const double json_b = static_cast<double>(day.jsonl.size());
  std::printf("%s: %" PRId64 " movements, %" PRId64 " rows, %zu batches; JSON lines %.0f B/mv\n",
              name, day.movements, day.rows, day.batches.size(), json_b / mv);
  std::printf("  %-28s %10s %9s %8s %9s %12s %12s %10s\n", "wire format", "bytes", "B/mv",
              "vs JSON", "vs floor", "encode s", "decode s", "merge s");
  struct Mode {
    const char* label;
    sync::BatchCompression how;
  } modes[] = {{"uncompressed (before)", {sync::Compression::kNone, 0}},
               {"zstd, no dictionary", {sync::Compression::kZstd, 0}},
               {"zstd + structure dictionary",
                {sync::Compression::kZstdDictionary, sync::kStructureDictionaryVersion}}};
  int k = 0;
  for (const auto& m : modes) {
    std::vector<double> comp, exp, merge;
    Wire w;
    for (int r = 0; r < repeats; ++r) {
      w = Send(day, m.how, &dicts);
      comp.push_back(w.compress_s);
      exp.push_back(w.expand_s);
      merge.push_back(MergeSeconds(scratch.dir.string() + "/hq-" + name + std::to_string(k++), w,
                                   key.PublicKey(), clock, random));
    }
    std::printf("  %-28s %10" PRIu64 " %9.1f %7.2fx %8.2fx %12.3f %12.3f %10.3f\n", m.label,
                w.bytes, w.bytes / mv, w.bytes / json_b, w.bytes / static_cast<double>(fl),
                Median(comp), Median(exp), Median(merge));
  }
  auto [stream, stream_s] = StreamBytes(day);
  std::printf("  %-28s %10" PRIu64 " %9.1f %7.2fx %8.2fx %12.3f\n", "(not built) zstd per session",
              stream, stream / mv, stream / json_b, stream / static_cast<double>(fl), stream_s);
  std::printf("  %-28s %10zu %9.1f %7.2fx %8.2fx\n", "floor: zstd -19 of JSON lines", fl, fl / mv,
              fl / json_b, 1.0);
  Breakdown(day);
  std::printf("\n");
}

}  // namespace

int main(int argc, char** argv) {
  int64_t n = argc > 1 ? std::atoll(argv[1]) : 15000;
  int repeats = argc > 2 ? std::atoi(argv[2]) : 3;
  Check(crypto::InitCrypto().ok(), "libsodium");
  Scratch scratch;
  SystemClock clock;
  SystemRandom random;
  // The structure dictionary: trained on a different day (seed 7, desk
  // shape), values of names, plates, documents and free text blanked.
  sync::ZstdDictionaries dicts;
  size_t dict_bytes = 0, samples = 0;
  {
    auto key = crypto::SigningKey::Generate(random);
    Day train = SimulateDay(scratch.dir.string() + "/train", std::min<int64_t>(n, 5000), 7, 1, key,
                            clock, random);
    std::vector<Bytes> s;
    for (const auto& b : train.batches) {
      auto x = sync::StructureSample(b.body, train.store->catalogue());
      Check(x.ok(), "structure sample");
      s.push_back(std::move(*x));
    }
    samples = s.size();
    auto dict = sync::TrainDictionary(s);
    Check(dict.ok(), dict.status().ToString());
    dict_bytes = dict->size();
    dicts.Add(*sync::ZstdDictionary::Load(sync::kStructureDictionaryVersion, *dict));
  }
  std::printf(
      "outpost compress_bench: a day of %" PRId64
      " simulated movements at BA-GRA (seed 2026), zstd level %d, medians of %d runs; "
      "dictionary v%u: %zu bytes trained on %zu structure samples of another day (seed 7)\n\n",
      n, sync::kDefaultZstdLevel, repeats, sync::kStructureDictionaryVersion, dict_bytes, samples);
  Shape("desk", 1, n, repeats, scratch, dicts, clock, random);
  Shape("import", 1000, n, repeats, scratch, dicts, clock, random);
  return 0;
}
