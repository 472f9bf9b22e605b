#include "node/simulate.h"

#include <algorithm>
#include <cmath>
#include <random>

#include "base/clock.h"
#include "node/records.h"
#include "schema/validators.h"

namespace outpost::node {

using nlohmann::json;

namespace {

constexpr int64_t kDefaultStart = 1'784'073'600'000'000;  // 2026-07-15T00:00:00Z

template <typename T, size_t N>
const T& Pick(std::mt19937_64& rng, const T (&items)[N]) {
  return items[rng() % N];
}

struct Country {
  const char* code;
  const char* plate_prefix[3];
};

const char* kFamily[] = {"Petrović", "Jovanović", "Hodžić", "Kovačević", "Babić",
                         "Marić",    "Krasniqi",  "Gashi",  "Berisha",   "Hoxha",
                         "Novak",    "Horvat",    "Yılmaz", "Kaya",      "Müller",
                         "Schmidt",  "Begić",     "Delić",  "Popović",   "Nikolić"};
const char* kGiven[] = {"Marko", "Ana",   "Amir", "Lejla",  "Ivan", "Jelena", "Arben", "Drita",
                        "Emir",  "Selma", "Luka", "Mehmet", "Ayşe", "Stefan", "Maja",  "Besnik"};
const char* kCompanies[] = {"Bosna Trade d.o.o.", "Sava Logistik",    "Balkan Freight",
                            "Adria Cargo",        "Drina Transport",  "Euro Spedicija",
                            "Anadolu Lojistik",   "Prishtina Import", "Dunav Export",
                            "Tuzla Metal d.d."};
const char* kOwners[] = {"MSCU", "MAEU", "CSQU", "TGHU", "HLXU", "CMAU", "OOLU", "TCLU"};
// Invented EN 13044 owner keys (fourth letter A): the swap bodies of regional hauliers.
const char* kIluOwners[] = {"BHTA", "SAVA", "UNAA", "DRIA"};
struct Goods {
  const char* hs;
  const char* description;
  double kg_min, kg_max, value_per_kg;
};
const Goods kGoods[] = {
    {"870323", "passenger cars", 1200, 1800, 12.0},
    {"940360", "wooden furniture", 500, 8000, 4.0},
    {"620342", "cotton trousers", 200, 3000, 15.0},
    {"220300", "beer", 2000, 20000, 1.2},
    {"730890", "steel structures", 3000, 22000, 1.5},
    {"847130", "portable computers", 100, 1500, 300.0},
    {"300490", "medicaments", 50, 800, 80.0},
    {"080810", "apples", 5000, 20000, 0.6},
    {"401110", "car tyres", 1000, 9000, 3.0},
    {"690721", "ceramic tiles", 5000, 24000, 0.5},
    {"392690", "plastic articles", 300, 6000, 5.0},
    {"851713", "smartphones", 50, 600, 400.0},
};
const Goods kRiskyGoods[] = {
    {"240220", "cigarettes", 500, 9000, 50.0},
    {"240319", "smoking tobacco", 200, 4000, 30.0},
    {"293339", "chemical precursors", 100, 2000, 20.0},
};
const char* kCurrencies[] = {"EUR", "EUR", "EUR", "BAM", "USD", "TRY", "RSD"};

const std::vector<std::string> kWatchPlates = {"SA123BC", "BG4471KK",   "PR555XK",
                                               "TZ900AA", "IST34ABC77", "NS0001ZZ"};
const std::vector<std::string> kWatchNames = {"Petrović Marko", "Krasniqi Arben", "Yılmaz Mehmet",
                                              "Hodžić Emir"};

std::string Digits(std::mt19937_64& rng, int n) {
  std::string s;
  for (int i = 0; i < n; ++i) s.push_back(static_cast<char>('0' + rng() % 10));
  return s;
}

std::string Letters(std::mt19937_64& rng, int n) {
  static const char kL[] = "ABCDEFGHJKLMNPRSTUVZ";
  std::string s;
  for (int i = 0; i < n; ++i) s.push_back(kL[rng() % (sizeof kL - 1)]);
  return s;
}

std::string Plate(std::mt19937_64& rng, const std::string& country) {
  if (country == "BA")
    return Letters(rng, 1) + Digits(rng, 2) + "-" + Letters(rng, 1) + "-" + Digits(rng, 3);
  if (country == "HR") return "ZG" + Digits(rng, 4) + Letters(rng, 2);
  if (country == "RS") return "BG" + Digits(rng, 4) + Letters(rng, 2);
  if (country == "XK") return Digits(rng, 2) + "-" + Digits(rng, 3) + "-" + Letters(rng, 2);
  if (country == "AL") return "A" + Letters(rng, 1) + Digits(rng, 3) + Letters(rng, 2);
  if (country == "TR") return "34" + Letters(rng, 3) + Digits(rng, 3);
  return Letters(rng, 2) + Digits(rng, 4);
}

std::string Vin(std::mt19937_64& rng) {
  static const char kV[] = "ABCDEFGHJKLMNPRSTUVWXYZ0123456789";
  std::string s = "WDB";
  while (s.size() < 17) s.push_back(kV[rng() % (sizeof kV - 1)]);
  return s;
}

std::string Container(std::mt19937_64& rng) {
  std::string s = std::string(Pick(rng, kOwners)) + Digits(rng, 6);
  // Category letter is the 4th char of the owner code (U).
  int d = schema::Iso6346CheckDigit(s);
  return s + static_cast<char>('0' + (d < 0 ? 0 : d));
}

// A container drawn by Container() whose serial ends in 0-2 becomes a swap
// body with an ILU code (about 3 in 10), without another draw from `rng`, so
// the rest of a simulation is what it was before swap bodies existed.
json Equipment(std::mt19937_64& rng) {
  std::string number = Container(rng);
  if (number[9] > '2') return json{{"number", number}, {"kind", "container"}};
  number = std::string(kIluOwners[(number[8] - '0') % 4]) + number.substr(4, 6);
  number += static_cast<char>('0' + schema::Iso6346CheckDigit(number));
  return json{{"number", number}, {"kind", "swap_body"}};
}

std::string Date(std::mt19937_64& rng, int year_min, int year_max) {
  int y = year_min + static_cast<int>(rng() % (year_max - year_min + 1));
  int m = 1 + static_cast<int>(rng() % 12);
  int d = 1 + static_cast<int>(rng() % 28);
  char buf[16];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02d", y, m, d);
  return buf;
}

// The neighbouring countries' share of traffic at each crossing.
std::vector<const char*> Neighbours(const std::string& site) {
  if (site.rfind("XK", 0) == 0) return {"XK", "XK", "AL", "AL", "AL", "DE", "CH", "MK", "TR"};
  if (site == "BA-BIJ") return {"BA", "BA", "HR", "HR", "HR", "DE", "AT", "RS", "SI"};
  return {"BA", "BA", "BA", "HR", "HR", "RS", "DE", "AT", "TR", "SI", "IT"};
}

std::string HomeCountry(const std::string& site) { return site.substr(0, 2); }

json Person(std::mt19937_64& rng, const std::string& country, const std::string& role,
            bool suspicious) {
  std::string family = Pick(rng, kFamily), given = Pick(rng, kGiven);
  if (suspicious) {
    const std::string& n = kWatchNames[rng() % kWatchNames.size()];
    auto sp = n.find(' ');
    family = n.substr(0, sp);
    given = n.substr(sp + 1);
  }
  return json{{"role", role},
              {"family_name", family},
              {"given_names", given},
              {"date_of_birth", Date(rng, 1950, 2005)},
              {"nationality", country},
              {"document_type", rng() % 3 ? "passport" : "id_card"},
              {"document_number", Letters(rng, 1) + Digits(rng, 8)},
              {"data_subject_category", "traveller"}};
}

// A uniform draw in [0, 1) from (seed, movement number, salt) by SplitMix64,
// apart from the traffic's mt19937 stream: the weighbridge weight is drawn
// here, so every other field of a seed's traffic is what it was before the
// weighbridge existed.
double WeighDraw(uint64_t seed, int64_t movement, uint64_t salt) {
  uint64_t z = seed ^ (static_cast<uint64_t>(movement) * 0x9E3779B97F4A7C15ULL) ^
               (salt * 0xD1B54A32D192ED03ULL);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  z ^= z >> 31;
  return static_cast<double>(z >> 11) / static_cast<double>(1ULL << 53);
}

// The load as the crossing's weighbridge weighs it: within 3% of the
// declared gross mass, and for one truck in 25 (a mis-declared load) 20 to
// 45% above or below it. Rounded to the kilogram (a light load of medicines
// weighs 50 kg; a coarser reading would be off by more than 3% alone).
double WeighbridgeKg(uint64_t seed, int64_t movement, double declared_kg) {
  const bool off = WeighDraw(seed, movement, 1) < 0.04;
  const double gap =
      off ? 0.20 + 0.25 * WeighDraw(seed, movement, 2) : 0.03 * WeighDraw(seed, movement, 2);
  const double sign = WeighDraw(seed, movement, 3) < 0.5 ? -1 : 1;
  return std::max(1.0, std::round(declared_kg * (1 + sign * gap)));
}

}  // namespace

const std::vector<std::string>& DemoWatchlistPlates() { return kWatchPlates; }
const std::vector<std::string>& DemoWatchlistNames() { return kWatchNames; }

int64_t SimulateTraffic(const SimulationOptions& o, const std::function<void(const json&)>& emit) {
  std::mt19937_64 rng(o.seed);
  std::uniform_real_distribution<double> unit(0, 1);
  auto neighbours = Neighbours(o.site);
  std::string home = HomeCountry(o.site);
  double truck_share = o.truck_share >= 0 ? o.truck_share : (o.site == "BA-GRA" ? 0.30 : 0.08);
  int64_t start = o.start_micros ? o.start_micros : kDefaultStart;
  for (int64_t i = 0; i < o.movements; ++i) {
    bool suspicious = unit(rng) < o.suspicious_share;
    double r = unit(rng);
    std::string kind = r < truck_share ? "truck" : (r < truck_share + 0.04 ? "bus" : "car");
    std::string country = neighbours[rng() % neighbours.size()];
    int64_t t = start + (o.span_micros * i) / std::max<int64_t>(1, o.movements) +
                static_cast<int64_t>(rng() % 1000000);
    json m{{"type", "movement"},
           {"direction", rng() % 2 ? "in" : "out"},
           {"mode", "road"},
           {"crossing", o.site},
           {"time", FormatUtcMicros(t - t % 1000000)}};
    std::string plate =
        suspicious ? kWatchPlates[rng() % kWatchPlates.size()] : Plate(rng, country);
    m["vehicle"] = json{{"plate", plate}, {"plate_country", country}, {"kind", kind}};
    if (rng() % 3 == 0) m["vehicle"]["vin"] = Vin(rng);
    json persons = json::array();
    if (o.with_persons) persons.push_back(Person(rng, country, "driver", suspicious && rng() % 2));
    if (kind == "car") {
      int passengers = static_cast<int>(rng() % 4);
      for (int p = 0; p < passengers && o.with_persons; ++p) {
        persons.push_back(Person(rng, country, "passenger", false));
      }
    } else if (kind == "bus") {
      for (int p = 0; p < 3 && o.with_persons; ++p)
        persons.push_back(Person(rng, country, "passenger", false));
    } else {
      // A truck: a trailer or container, a consignment with goods.
      m["trailer"] =
          json{{"plate", Plate(rng, country)}, {"plate_country", country}, {"kind", "trailer"}};
      bool containerised = rng() % 3 == 0;
      if (containerised) {
        json seal{{"number", Letters(rng, 2) + Digits(rng, 7)},
                  {"issuer", std::string(country) + " customs"},
                  {"condition", suspicious && rng() % 2 ? "broken" : "intact"}};
        json eq = Equipment(rng);
        eq["size_type"] = rng() % 2 ? "42G1" : "22G1";
        eq["loaded"] = true;
        if (!(suspicious && rng() % 3 == 0)) eq["seals"] = json::array({seal});
        m["equipment"] = json::array({eq});
      }
      std::string origin =
          suspicious ? (rng() % 2 ? "TR" : "AL") : neighbours[rng() % neighbours.size()];
      std::string dest = m["direction"] == "in" ? home : neighbours[rng() % neighbours.size()];
      json c{{"transport_doc_type", "CMR"},
             {"transport_doc_number", Letters(rng, 2) + Digits(rng, 7)},
             {"shipper", json{{"name", Pick(rng, kCompanies)}, {"country", origin}}},
             {"consignee", json{{"name", Pick(rng, kCompanies)}, {"country", dest}}},
             {"origin_country", origin},
             {"dispatch_country", origin},
             {"destination_country", dest}};
      json goods = json::array();
      double declared_kg = 0;
      int items = 1 + static_cast<int>(rng() % 3);
      for (int g = 0; g < items; ++g) {
        const Goods& gd = (suspicious && g == 0) ? Pick(rng, kRiskyGoods) : Pick(rng, kGoods);
        double kg = gd.kg_min + unit(rng) * (gd.kg_max - gd.kg_min);
        kg = static_cast<int64_t>(kg * 10) / 10.0;
        declared_kg += kg;
        goods.push_back(json{{"hs_code", gd.hs},
                             {"description", gd.description},
                             {"packages", 1 + static_cast<int>(rng() % 60)},
                             {"gross_kg", kg},
                             {"net_kg", static_cast<int64_t>(kg * 9.2) / 10.0},
                             {"value", static_cast<int64_t>(kg * gd.value_per_kg)},
                             {"currency", Pick(rng, kCurrencies)}});
      }
      c["goods"] = goods;
      m["weighbridge_kg"] = WeighbridgeKg(o.seed, i, declared_kg);
      m["consignments"] = json::array({c});
      m["route"] = origin == dest ? origin : origin + "," + dest;
      // An NCTS MRN: year, country, 13 characters, the check digit last.
      std::string mrn = "26" + home + Digits(rng, 14);
      mrn.back() = static_cast<char>('0' + schema::MrnCheckDigit(mrn.substr(0, 17)));
      m["declaration"] = mrn;
    }
    if (!persons.empty()) m["persons"] = persons;
    emit(m);
  }
  return o.movements;
}

}  // namespace outpost::node

namespace outpost::node {
namespace {

// A uniform draw in [0, 1) from (seed, id, salt): the same inputs give the
// same outcome on every run.
double Draw(uint64_t seed, const Uuid& id, uint64_t salt) {
  uint64_t h = 1469598103934665603ULL ^ seed ^ (salt * 0x9E3779B97F4A7C15ULL);
  for (uint8_t b : id) h = (h ^ b) * 1099511628211ULL;
  h ^= h >> 33;
  h *= 0xff51afd7ed558ccdULL;
  h ^= h >> 33;
  return static_cast<double>(h >> 11) / static_cast<double>(1ULL << 53);
}

bool Contains(const std::string& list, const char* prefix) {
  return list.find(prefix) != std::string::npos;
}

// Cash seized in EUR notes: the amount in its currency, the notes counted
// (50s), and the value in the reporting currency of the crossing's country
// (BAM at its fixed rate to the euro in Bosnia and Herzegovina; EUR in Kosovo).
void AddCashAmount(std::string_view site, double eur, nlohmann::json* seizure) {
  (*seizure)["amount"] = eur;
  (*seizure)["currency"] = "EUR";
  (*seizure)["quantity"] = std::max(1.0, std::round(eur / 50));
  if (site.starts_with("BA-")) {
    (*seizure)["value"] = std::round(eur * 1.95583 * 100) / 100;
    (*seizure)["value_currency"] = "BAM";
  } else if (site.starts_with("XK-")) {
    (*seizure)["value"] = eur;
    (*seizure)["value_currency"] = "EUR";
  }
}

}  // namespace

Result<InspectionCounts> SimulateInspections(Store& store, const InspectionSimulation& options) {
  // Invented inspections would reach HQ's risk report as real feedback.
  if (!store.identity().training) {
    return Status::FailedPrecondition(
        "simulate --inspect: this node is not a training node; it records invented "
        "inspections, so it runs only on a node created with `outpost init --training`");
  }
  struct Selected {
    Uuid movement{}, assessment{};
    std::string lane, rules;
    bool random = false;
    int64_t time = 0;
  };
  std::vector<Selected> todo;
  {
    OUTPOST_ASSIGN_OR_RETURN(
        auto st,
        store.db().Prepare(
            "SELECT a.movement, a.id, a.lane, coalesce(a.rules_hit, ''), a.random_selected, "
            "a.assessed_at FROM live_risk_assessment a WHERE "
            "(a.lane != 'green' OR a.random_selected = 1) AND NOT EXISTS (SELECT 1 FROM "
            "live_inspection i WHERE i.movement = a.movement) ORDER BY a.id"));
    for (;;) {
      OUTPOST_ASSIGN_OR_RETURN(bool row, st->Step());
      if (!row) break;
      Selected s;
      auto m = st->Blob(0);
      auto a = st->Blob(1);
      if (m.size() != 16 || a.size() != 16) continue;
      std::copy(m.begin(), m.end(), s.movement.begin());
      std::copy(a.begin(), a.end(), s.assessment.begin());
      s.lane = std::string(st->Text(2));
      s.rules = std::string(st->Text(3));
      s.random = st->Int(4) != 0;
      s.time = st->Int(5);
      todo.push_back(std::move(s));
    }
  }
  Records records(store);
  Actor actor{options.officer, "simulated inspection (training)"};
  InspectionCounts counts;
  for (const Selected& s : todo) {
    bool by_rule = s.lane != "green";
    // What the load hides: likelier when goods or watchlist rules hit.
    double p_seizure = 0.01, p_irregular = 0.04;
    std::string group = "other", subtype = "undeclared goods", unit = "KGM";
    double qty = 10 + 90 * Draw(options.seed, s.movement, 5);
    if (Contains(s.rules, "R-101")) {
      p_seizure = 0.65, group = "tobacco", subtype = "cigarettes", unit = "NAR";
      qty = 2000 + 48000 * Draw(options.seed, s.movement, 6);
    } else if (Contains(s.rules, "R-102")) {
      p_seizure = 0.5, group = "precursors", subtype = "chemical precursors";
    } else if (Contains(s.rules, "W-")) {
      p_seizure = 0.4, group = "cash", subtype = "undeclared cash, EUR notes", unit = "C62";
      qty = 10000 + 90000 * Draw(options.seed, s.movement, 7);  // EUR
    } else if (Contains(s.rules, "C-")) {
      p_irregular = 0.35;
    }
    double d = Draw(options.seed, s.movement, 1);
    std::string result = d < p_seizure                 ? "seizure"
                         : d < p_seizure + p_irregular ? "irregularity"
                                                       : "nil";
    int64_t start =
        s.time + static_cast<int64_t>(5 + 20 * Draw(options.seed, s.movement, 2)) * 60'000'000;
    int64_t end =
        start + static_cast<int64_t>(10 + 80 * Draw(options.seed, s.movement, 3)) * 60'000'000;
    nlohmann::json doc = {
        {"movement", UuidToString(s.movement)},
        {"selection_basis", by_rule ? "rule" : "random"},
        {"methods", s.lane == "red" ? "documentary,physical_partial" : "documentary"},
        {"officers", options.officer},
        {"started", FormatUtcMicros(start)},
        {"ended", FormatUtcMicros(end)},
        {"result", result},
        {"assessment", UuidToString(s.assessment)},
    };
    OUTPOST_ASSIGN_OR_RETURN(nlohmann::json added, records.Add("inspection", doc, actor));
    ++counts.inspections;
    if (result == "irregularity") ++counts.irregularities;
    if (result == "seizure") {
      nlohmann::json z = {{"inspection", added["id"]},
                          {"commodity_group", group},
                          {"subtype", subtype},
                          {"quantity", std::round(qty)},
                          {"unit", unit},
                          {"concealment_location", "load"},
                          {"detection_method", s.lane == "red" ? "physical" : "documentary"}};
      if (group == "cash") AddCashAmount(store.identity().site, std::round(qty), &z);
      OUTPOST_RETURN_IF_ERROR(records.Add("seizure", z, actor).status());
      ++counts.seizures;
    }
  }
  return counts;
}

}  // namespace outpost::node
