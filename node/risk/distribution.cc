#include "node/risk/distribution.h"

#include <zlib.h>

#include <algorithm>
#include <nlohmann/json.hpp>

#include "crypto/keys.h"
#include "node/records_internal.h"
#include "node/registry.h"
#include "schema/column_ids.h"

namespace outpost::node {

using nlohmann::json;

using internal::TableOf;

namespace {

constexpr std::string_view kFormat = "outpost-ruleset/1";
constexpr std::string_view kSignContext = "outpost-ruleset-v1\n";
constexpr std::string_view kPayloadMagic = "OPRP1";
enum SectionType : uint8_t { kRules = 1, kList = 2, kWatchlist = 3 };

std::string_view KindName(risk::ListKind k) {
  switch (k) {
    case risk::ListKind::kString:
      return "string";
    case risk::ListKind::kCountry:
      return "country";
    case risk::ListKind::kHs:
      return "hs";
    case risk::ListKind::kPlate:
      return "plate";
    case risk::ListKind::kName:
      return "name";
    case risk::ListKind::kCompany:
      return "company";
  }
  return "string";
}

void PutU32(std::string& out, uint32_t v) {
  for (int i = 0; i < 4; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}
void PutU64(std::string& out, uint64_t v) {
  for (int i = 0; i < 8; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

void PutSection(std::string& out, SectionType type, std::string_view name, uint32_t count,
                std::string_view data) {
  out.push_back(static_cast<char>(type));
  PutU32(out, static_cast<uint32_t>(name.size()));
  out.append(name);
  PutU32(out, count);
  PutU64(out, data.size());
  out.append(data);
}

// Reads the payload written by BuildPayload; false on any malformation.
class PayloadReader {
 public:
  explicit PayloadReader(std::string_view p) : p_(p) {}
  bool Magic() {
    if (p_.substr(0, kPayloadMagic.size()) != kPayloadMagic) return false;
    pos_ = kPayloadMagic.size();
    return true;
  }
  bool Done() const { return pos_ == p_.size(); }
  bool Section(uint8_t* type, std::string_view* name, uint32_t* count, std::string_view* data) {
    if (pos_ + 1 > p_.size()) return false;
    *type = static_cast<uint8_t>(p_[pos_++]);
    uint64_t name_len = 0, data_len = 0, c = 0;
    if (!Uint(4, &name_len) || name_len > p_.size() - pos_) return false;
    *name = p_.substr(pos_, name_len);
    pos_ += name_len;
    if (!Uint(4, &c) || !Uint(8, &data_len) || data_len > p_.size() - pos_) return false;
    *count = static_cast<uint32_t>(c);
    *data = p_.substr(pos_, data_len);
    pos_ += data_len;
    return true;
  }

 private:
  bool Uint(int bytes, uint64_t* v) {
    if (pos_ + bytes > p_.size()) return false;
    *v = 0;
    for (int i = 0; i < bytes; ++i) {
      *v |= static_cast<uint64_t>(static_cast<uint8_t>(p_[pos_ + i])) << (8 * i);
    }
    pos_ += bytes;
    return true;
  }
  std::string_view p_;
  size_t pos_ = 0;
};

std::vector<std::string> SplitEntries(std::string_view data, uint32_t count) {
  std::vector<std::string> out;
  out.reserve(count);
  if (count == 0) return out;
  size_t start = 0;
  for (;;) {
    size_t nl = data.find('\n', start);
    if (nl == std::string_view::npos) {
      out.emplace_back(data.substr(start));
      break;
    }
    out.emplace_back(data.substr(start, nl - start));
    start = nl + 1;
  }
  return out;
}

Status CheckEntries(const char* flag, const RulesetSource::Entries& l) {
  for (size_t i = 0; i < l.entries.size(); ++i) {
    if (l.entries[i].find_first_of(std::string_view("\n\0", 2)) != std::string::npos) {
      return Status::InvalidArgument(std::string(flag) + " " + l.name + ": entry " +
                                     std::to_string(i + 1) +
                                     " contains a newline or NUL; one entry per line");
    }
  }
  return Status::Ok();
}

std::string Join(const std::vector<std::string>& entries) {
  std::string s;
  for (size_t i = 0; i < entries.size(); ++i) {
    if (i) s.push_back('\n');
    s += entries[i];
  }
  return s;
}

Result<std::string> Deflate(std::string_view in) {
  uLongf out_len = compressBound(static_cast<uLong>(in.size()));
  std::string out(out_len, '\0');
  int rc = compress2(reinterpret_cast<Bytef*>(out.data()), &out_len,
                     reinterpret_cast<const Bytef*>(in.data()), static_cast<uLong>(in.size()), 6);
  if (rc != Z_OK) return Status::Internal("deflate failed (zlib " + std::to_string(rc) + ")");
  out.resize(out_len);
  return out;
}

Result<std::string> Inflate(std::string_view in, size_t size) {
  if (size > kMaxPayloadBytes) return Status::Corruption("payload size above the limit");
  std::string out(size, '\0');
  uLongf out_len = static_cast<uLongf>(size);
  int rc = uncompress(reinterpret_cast<Bytef*>(out.data()), &out_len,
                      reinterpret_cast<const Bytef*>(in.data()), static_cast<uLong>(in.size()));
  if (rc != Z_OK || out_len != size) {
    return Status::Corruption("payload does not inflate to the signed size");
  }
  return out;
}

std::string HashHex(std::string_view data) {
  crypto::Hasher h;
  h.Update({reinterpret_cast<const uint8_t*>(data.data()), data.size()});
  auto d = h.Finish();
  return ToHex(d);
}

Bytes SigningInput(std::string_view manifest) {
  Bytes in(kSignContext.begin(), kSignContext.end());
  in.insert(in.end(), manifest.begin(), manifest.end());
  return in;
}

// Builds the engine from a verified payload; checks it against the manifest.
Result<risk::Engine> EngineFromPayload(std::string_view payload) {
  PayloadReader r(payload);
  if (!r.Magic()) return Status::Corruption("payload: bad magic");
  std::optional<risk::Engine> engine;
  while (!r.Done()) {
    uint8_t type = 0;
    std::string_view name, data;
    uint32_t count = 0;
    if (!r.Section(&type, &name, &count, &data)) return Status::Corruption("payload: truncated");
    if (type == kRules) {
      if (engine) return Status::Corruption("payload: two rules sections");
      auto e = risk::Engine::Compile(data);
      if (!e.ok()) return Status::Corruption("ruleset does not compile: " + e.status().message());
      engine.emplace(std::move(*e));
      continue;
    }
    if (!engine) return Status::Corruption("payload: lists before the rules");
    auto entries = SplitEntries(data, count);
    if (entries.size() != count) return Status::Corruption("payload: list entry count");
    if (type == kList) {
      std::optional<risk::ListKind> kind;
      for (const auto& l : engine->Lists()) {
        if (!l.watchlist && l.name == name) kind = l.kind;
      }
      if (!kind) return Status::Corruption("payload: undeclared list " + std::string(name));
      OUTPOST_RETURN_IF_ERROR(engine->AddList(name, *kind, entries));
    } else if (type == kWatchlist) {
      OUTPOST_RETURN_IF_ERROR(engine->AddWatchlist(name, entries));
    } else {
      return Status::Corruption("payload: unknown section type " + std::to_string(type));
    }
  }
  if (!engine) return Status::Corruption("payload: no rules");
  return std::move(*engine);
}

struct StoredRow {
  Uuid id{};
  std::string ruleset_id;
  int version = 0;
  int64_t issued = 0;
  std::string manifest;
  Bytes signature;
  std::string loaded_by;
};

Result<std::vector<StoredRow>> ReadRulesetRows(Store& store) {
  OUTPOST_ASSIGN_OR_RETURN(
      auto st,
      store.db().Prepare("SELECT id, ruleset_id, version, issued, manifest, signature, loaded_by "
                         "FROM live_risk_ruleset "
                         "ORDER BY issued DESC, version DESC, id DESC"));
  std::vector<StoredRow> rows;
  for (;;) {
    OUTPOST_ASSIGN_OR_RETURN(bool more, st->Step());
    if (!more) break;
    StoredRow r;
    auto id = st->Blob(0);
    if (id.size() == r.id.size()) std::copy(id.begin(), id.end(), r.id.begin());
    r.ruleset_id = std::string(st->Text(1));
    r.version = static_cast<int>(st->Int(2));
    r.issued = st->Int(3);
    auto m = st->Blob(4);
    r.manifest.assign(m.begin(), m.end());
    auto s = st->Blob(5);
    r.signature.assign(s.begin(), s.end());
    r.loaded_by = std::string(st->Text(6));
    rows.push_back(std::move(r));
  }
  return rows;
}

std::string Describe(const StoredRow& r) {
  return "ruleset \"" + r.ruleset_id + "\" version " + std::to_string(r.version);
}

// Invariant 1. Returns the active ruleset or why this row is refused.
Result<ActiveRuleset> Verify(Store& store, const Certificate& hq, const StoredRow& row) {
  crypto::VerifyKey key(hq.signing_key);
  Bytes input = SigningInput(row.manifest);
  if (row.signature.size() != crypto::kSignatureSize || !key.Verify(input, row.signature).ok()) {
    return Status::Unauthenticated(
        Describe(row) + ": signature does not verify with the pinned HQ key " +
        crypto::Fingerprint(hq.signing_key) + " (tampered, or not signed by HQ); not activated");
  }
  json m = json::parse(row.manifest, nullptr, false);
  if (m.is_discarded() || !m.is_object() || m.value("format", "") != kFormat ||
      !m.contains("payload") || !m["payload"].is_object()) {
    return Status::Corruption(Describe(row) + ": manifest is not " + std::string(kFormat));
  }
  try {
    if (m.at("ruleset_id").get<std::string>() != row.ruleset_id ||
        m.at("version").get<int>() != row.version || m.at("issued").get<int64_t>() != row.issued) {
      return Status::Corruption(Describe(row) +
                                ": row columns disagree with the signed manifest (ruleset_id, "
                                "version, issued); not activated");
    }
    const json& p = m.at("payload");
    size_t chunks = p.at("chunks").get<size_t>();
    size_t stored = p.at("stored_bytes").get<size_t>();
    size_t bytes = p.at("bytes").get<size_t>();
    std::string hash = p.at("blake2b").get<std::string>();

    OUTPOST_ASSIGN_OR_RETURN(
        auto st, store.db().Prepare("SELECT seq, data FROM live_risk_ruleset_chunk WHERE "
                                    "ruleset = ? ORDER BY seq"));
    st->BindBlob(1, row.id);
    std::string deflated;
    size_t have = 0;
    for (;;) {
      OUTPOST_ASSIGN_OR_RETURN(bool more, st->Step());
      if (!more) break;
      if (st->Int(0) != static_cast<int64_t>(have)) {
        if (st->Int(0) < static_cast<int64_t>(have)) {
          return Status::Corruption(Describe(row) + ": chunk " + std::to_string(st->Int(0)) +
                                    " appears twice; not activated");
        }
        break;  // a gap: still syncing
      }
      auto d = st->Blob(1);
      if (deflated.size() + d.size() > stored) {
        return Status::Corruption(Describe(row) + ": chunks exceed the signed size");
      }
      deflated.append(reinterpret_cast<const char*>(d.data()), d.size());
      ++have;
    }
    if (have < chunks) {
      return Status::Unavailable(Describe(row) + ": " + std::to_string(have) + " of " +
                                 std::to_string(chunks) +
                                 " chunks present (still syncing?); not activated yet");
    }
    if (have > chunks || deflated.size() != stored || HashHex(deflated) != hash) {
      return Status::Corruption(Describe(row) +
                                ": chunks do not match the signed payload hash (altered or "
                                "corrupted); not activated");
    }
    OUTPOST_ASSIGN_OR_RETURN(std::string payload, Inflate(deflated, bytes));
    auto engine = EngineFromPayload(payload);
    if (!engine.ok()) return engine.status().WithContext(Describe(row));
    if (engine->ruleset_id() != row.ruleset_id || engine->ruleset_version() != row.version) {
      return Status::Corruption(Describe(row) + ": rules text names another ruleset");
    }
    RulesetInfo info;
    info.row_id = row.id;
    info.ruleset_id = row.ruleset_id;
    info.version = row.version;
    info.issued = row.issued;
    info.rule_count = engine->rule_count();
    info.shadow_rules = engine->shadow_rule_count();
    info.signer = m.value("signer", "");
    info.loaded_by = m.value("loaded_by", "");
    info.payload_bytes = bytes;
    info.stored_bytes = stored;
    info.chunks = chunks;
    info.lists = engine->Lists();
    return ActiveRuleset{std::move(info), std::move(*engine)};
  } catch (const json::exception& e) {
    return Status::Corruption(Describe(row) + ": manifest: " + e.what());
  }
}

}  // namespace

Result<RulesetInfo> LoadRuleset(Store& hq, const crypto::NodeSecrets& hq_keys,
                                const RulesetSource& source, std::string_view officer) {
  if (hq.identity().role != Role::kHq) {
    return Status::PermissionDenied(
        "risk load: only HQ authors rulesets (this node is site " + hq.identity().site +
        "); a site receives HQ's signed rulesets by sync (see outpost risk show)");
  }
  if (officer.empty()) {
    return Status::InvalidArgument("--officer: a ruleset is loaded by a named officer");
  }
  OUTPOST_ASSIGN_OR_RETURN(auto pinned, LoadHqCertificate(hq));
  if (!pinned || pinned->signing_key != hq_keys.signing.PublicKey().bytes()) {
    return Status::FailedPrecondition(
        "risk load: the unlocked key is not the pinned HQ signing key; nodes would refuse "
        "this ruleset");
  }
  OUTPOST_ASSIGN_OR_RETURN(risk::Engine engine, risk::Engine::Compile(source.text));
  auto declared = engine.Lists();
  for (const auto& l : source.lists) {
    OUTPOST_RETURN_IF_ERROR(CheckEntries("--list", l));
    auto it = std::find_if(declared.begin(), declared.end(),
                           [&](const auto& d) { return d.name == l.name; });
    if (it == declared.end()) {
      return Status::NotFound("--list " + l.name + ": ruleset \"" + engine.ruleset_id() +
                              "\" declares no list of that name (declare it with 'list \"" +
                              l.name + "\" KIND from file')");
    }
    if (it->watchlist) {
      return Status::InvalidArgument("--list " + l.name +
                                     ": declared as a watchlist; pass it with --watchlist");
    }
    OUTPOST_RETURN_IF_ERROR(engine.AddList(l.name, it->kind, l.entries));
  }
  for (const auto& l : source.watchlists) {
    OUTPOST_RETURN_IF_ERROR(CheckEntries("--watchlist", l));
    auto it = std::find_if(declared.begin(), declared.end(),
                           [&](const auto& d) { return d.name == l.name; });
    if (it != declared.end() && !it->watchlist) {
      return Status::InvalidArgument("--watchlist " + l.name +
                                     ": declared as a list; pass it with --list");
    }
    Status s = engine.AddWatchlist(l.name, l.entries);
    if (!s.ok()) return s.WithContext("--watchlist " + l.name);
  }

  {
    OUTPOST_ASSIGN_OR_RETURN(auto st,
                             hq.db().Prepare("SELECT max(version) FROM live_risk_ruleset WHERE "
                                             "ruleset_id = ?"));
    st->Bind(1, engine.ruleset_id());
    OUTPOST_ASSIGN_OR_RETURN(bool row, st->Step());
    if (row && !st->IsNull(0) && st->Int(0) >= engine.ruleset_version()) {
      return Status::AlreadyExists("ruleset \"" + engine.ruleset_id() + "\" version " +
                                   std::to_string(engine.ruleset_version()) + ": version " +
                                   std::to_string(st->Int(0)) +
                                   " is already loaded; raise 'version' in the file");
    }
  }

  std::string payload(kPayloadMagic);
  PutSection(payload, kRules, "", 0, source.text);
  for (const auto& l : source.lists) {
    PutSection(payload, kList, l.name, static_cast<uint32_t>(l.entries.size()), Join(l.entries));
  }
  for (const auto& l : source.watchlists) {
    PutSection(payload, kWatchlist, l.name, static_cast<uint32_t>(l.entries.size()),
               Join(l.entries));
  }
  if (payload.size() > kMaxPayloadBytes) {
    return Status::InvalidArgument("ruleset with its lists is " + std::to_string(payload.size()) +
                                   " bytes, more than the limit of " +
                                   std::to_string(kMaxPayloadBytes));
  }
  OUTPOST_ASSIGN_OR_RETURN(std::string deflated, Deflate(payload));
  size_t chunks = (deflated.size() + kChunkBytes - 1) / kChunkBytes;

  RulesetInfo info;
  info.ruleset_id = engine.ruleset_id();
  info.version = engine.ruleset_version();
  info.issued = hq.clock().NowMicros();
  info.rule_count = engine.rule_count();
  info.shadow_rules = engine.shadow_rule_count();
  info.signer = crypto::Fingerprint(hq_keys.signing.PublicKey().bytes());
  info.loaded_by = std::string(officer);
  info.payload_bytes = payload.size();
  info.stored_bytes = deflated.size();
  info.chunks = chunks;
  info.lists = engine.Lists();

  json lists = json::array();
  for (const auto& l : info.lists) {
    lists.push_back({{"name", l.name},
                     {"watchlist", l.watchlist},
                     {"kind", KindName(l.kind)},
                     {"entries", l.entries}});
  }
  json manifest = {{"format", kFormat},
                   {"ruleset_id", info.ruleset_id},
                   {"version", info.version},
                   {"issued", info.issued},
                   {"rule_count", info.rule_count},
                   {"shadow_rules", info.shadow_rules},
                   {"signer", info.signer},
                   {"loaded_by", info.loaded_by},
                   {"payload",
                    {{"bytes", info.payload_bytes},
                     {"stored_bytes", info.stored_bytes},
                     {"chunks", chunks},
                     {"chunk_bytes", kChunkBytes},
                     {"deflate", "zlib"},
                     {"blake2b", HashHex(deflated)}}},
                   {"lists", lists}};
  std::string manifest_text = manifest.dump();
  if (manifest_text.size() > 8192) {
    return Status::InvalidArgument("ruleset declares too many lists for one manifest (" +
                                   std::to_string(info.lists.size()) + ")");
  }
  auto sig = hq_keys.signing.Sign(SigningInput(manifest_text));

  const schema::Table& rt = TableOf(hq, "risk_ruleset");
  const schema::Table& ct = TableOf(hq, "risk_ruleset_chunk");
  info.row_id = hq.NewId();
  Bytes row_id(info.row_id.begin(), info.row_id.end());
  OUTPOST_ASSIGN_OR_RETURN(auto w, hq.replica().BeginWrite());
  namespace R = schema::columns::risk_ruleset;
  namespace C = schema::columns::risk_ruleset_chunk;
  std::vector<sync::ColumnValue> cols = {
      {R::kRulesetId, info.ruleset_id},
      {R::kVersion, int64_t{info.version}},
      {R::kIssued, info.issued},
      {R::kRuleCount, static_cast<int64_t>(info.rule_count)},
      {R::kManifest, Bytes(manifest_text.begin(), manifest_text.end())},
      {R::kSignature, Bytes(sig.begin(), sig.end())},
      {R::kSigner, info.signer},
      {R::kLoadedBy, info.loaded_by},
  };
  OUTPOST_RETURN_IF_ERROR(w->Insert(rt, info.row_id, hq.ScopeFor(rt), cols));
  for (size_t i = 0; i < chunks; ++i) {
    std::string_view part = std::string_view(deflated).substr(i * kChunkBytes, kChunkBytes);
    std::vector<sync::ColumnValue> c = {{C::kRuleset, row_id},
                                        {C::kSeq, static_cast<int64_t>(i)},
                                        {C::kData, Bytes(part.begin(), part.end())}};
    OUTPOST_RETURN_IF_ERROR(w->Insert(ct, hq.NewId(), hq.ScopeFor(ct), c));
  }
  OUTPOST_RETURN_IF_ERROR(w->Commit());
  return info;
}

Result<Activation> ActivateNewest(Store& store) {
  Activation out;
  OUTPOST_ASSIGN_OR_RETURN(auto rows, ReadRulesetRows(store));
  if (rows.empty()) return out;
  OUTPOST_ASSIGN_OR_RETURN(auto hq, LoadHqCertificate(store));
  for (const auto& row : rows) {
    Result<ActiveRuleset> r =
        hq ? Verify(store, *hq, row)
           : Result<ActiveRuleset>(Status::Unauthenticated(
                 Describe(row) +
                 ": no HQ certificate is pinned (outpost keys install); not activated"));
    if (r.ok()) {
      out.active.emplace(std::move(*r));
      break;
    }
    out.refused.push_back({row.id, row.ruleset_id, row.version, r.status()});
  }
  return out;
}

nlohmann::json RefusedRulesetsJson(const std::vector<RefusedRuleset>& refused) {
  nlohmann::json j = nlohmann::json::array();
  for (const auto& r : refused) {
    j.push_back({{"row_id", UuidToString(r.row_id)},
                 {"ruleset_id", r.ruleset_id},
                 {"version", r.version},
                 {"code", std::string(CodeName(r.reason.code()))},
                 {"reason", r.reason.message()}});
  }
  return j;
}

}  // namespace outpost::node
