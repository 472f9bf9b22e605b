// Fuzz target: compile arbitrary ruleset text, and if it compiles, assess a
// fixed movement with it. Must never crash, hang or throw.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "risk/engine.h"

namespace {

class NoHistory : public outpost::risk::HistoryProvider {
 public:
  outpost::Result<int64_t> CountCrossings(std::string_view, int64_t) override { return 3; }
};

const nlohmann::json& Movement() {
  static const nlohmann::json kDoc = nlohmann::json::parse(R"({
    "direction":"in","mode":"road","crossing":"BA-GRA","time":"2026-11-28T10:15:00Z","route":"TR,RS,BA",
    "weighbridge_kg":14100,
    "vehicle":{"plate":"SA123BC","plate_country":"RS","vin":"WDB9634031L123456"},
    "equipment":[{"number":"CSQU3054383","loaded":true,"seals":[]},{"number":"X","loaded":false}],
    "consignments":[{"origin_country":"TR","shipper":{"name":"Acme Ltd"},
      "goods":[{"hs_code":"240220","value":50000,"gross_kg":12000,"packages":0},
               {"hs_code":"8703","value":"12","gross_kg":"1e308"}]}],
    "persons":[{"role":"driver","family_name":"Petrović","given_names":"Marko","date_of_birth":"1980-02-01"}]})");
  return kDoc;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size > (1 << 16)) return 0;  // the compiler itself refuses > 4 MiB; keep runs fast
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto engine = outpost::risk::Engine::Compile(text);
  if (!engine.ok()) return 0;
  NoHistory history;
  outpost::risk::AssessContext ctx;
  ctx.history = &history;
  auto a = engine->Assess(Movement(), "fuzz", 1'795'000'000'000'000LL, ctx);
  (void)outpost::risk::ToJson(a).dump(-1, ' ', false, nlohmann::json::error_handler_t::strict);
  return 0;
}
