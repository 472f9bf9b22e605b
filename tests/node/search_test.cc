// node/search.h: folding (case, diacritics, Serbian Cyrillic), codes with
// spaces and dashes, stable pages, rows that arrived by merge, erasure.
// Name vectors: the Serbian Cyrillic and Latin alphabets correspond letter
// for letter (Ј=J, Љ=LJ, Ћ=Ć, Ђ=Đ; e.g. Wikipedia "Serbian Cyrillic
// alphabet", table "Serbian Cyrillic alphabet"), so "Николић" is "Nikolić".
// Container CSQU3054383 is ISO 6346's worked example (check digit 3).
#define BOOST_TEST_MODULE search
#include "node/search.h"

#include <boost/test/unit_test.hpp>
#include <set>

#include "tests/node/node_fixture.h"

namespace outpost::node {
namespace {

using nlohmann::json;
using testing::FakeSign;
using testing::SiteFixture;

json Truck(const std::string& plate, const std::string& family, const std::string& given,
           int minute) {
  char time[32];
  std::snprintf(time, sizeof time, "2026-11-28T%02d:%02d:00Z", 8 + minute / 60, minute % 60);
  return json{{"direction", "in"},
              {"mode", "road"},
              {"time", time},
              {"vehicle", {{"plate", plate}, {"plate_country", "RS"}, {"kind", "truck"}}},
              {"equipment", json::array({{{"number", "CSQU3054383"}, {"size_type", "42G1"}}})},
              {"consignments",
               json::array({{{"transport_doc_type", "CMR"},
                             {"transport_doc_number", "CMR-77 12"},
                             {"consignee", {{"name", "Bosna Trade d.o.o."}, {"country", "BA"}}}}})},
              {"persons", json::array({{{"role", "driver"},
                                        {"family_name", family},
                                        {"given_names", given},
                                        {"document_type", "passport"},
                                        {"document_number", "012345678"},
                                        {"review_date", "2030-01-01"}}})}};
}

std::string Add(SiteFixture& f, const json& doc) {
  auto r = f.records->Add("movement", doc, f.officer);
  BOOST_REQUIRE_MESSAGE(r.ok(), r.status().ToString());
  return (*r)["id"].get<std::string>();
}

json Find(SiteFixture& f, const std::string& q, int64_t limit = 20, int64_t page = 1) {
  auto r = Search(*f.store, SearchQuery{q, limit, page, std::nullopt}, f.officer);
  BOOST_REQUIRE_MESSAGE(r.ok(), q + ": " + r.status().ToString());
  return *r;
}

std::set<std::string> Plates(const json& r) {
  std::set<std::string> out;
  for (const auto& x : r["results"]) out.insert(x["plate"].get<std::string>());
  return out;
}

BOOST_AUTO_TEST_SUITE(search)

BOOST_AUTO_TEST_CASE(a_name_is_found_whatever_its_case_diacritics_or_script) {
  SiteFixture f;
  Add(f, Truck("BG111AA", "Nikolić", "Miloš", 1));
  Add(f, Truck("BG222BB", "Николић", "Петар", 2));
  Add(f, Truck("BG333CC", "Jovanović", "Ana", 3));
  for (const char* q : {"nikolic", "NIKOLIC", "Nikolić", "Николић", "nikol"}) {
    json r = Find(f, q);
    BOOST_TEST(r["total"] == 2, q);
    BOOST_TEST((Plates(r) == std::set<std::string>{"BG111AA", "BG222BB"}), q);
  }
  json petar = Find(f, "petar nikolic");
  BOOST_REQUIRE(petar["total"] == 1);
  BOOST_TEST(petar["results"][0]["driver"] == "Петар Николић");  // shown as written
  BOOST_TEST(Find(f, "milos NIKOLIĆ")["total"] == 1);
  BOOST_TEST(Find(f, "ana nikolic")["total"] == 0);  // every word must match
}

BOOST_AUTO_TEST_CASE(plates_containers_documents_and_consignees_are_found) {
  SiteFixture f;
  Add(f, Truck("SA-123 BC", "Petrović", "Marko", 5));
  for (const char* q : {"sa123bc", "SA-123BC", "SA 123-BC", "csqu3054383", "012345678", "cmr7712",
                        "bosna", "BOSNA trade"}) {
    BOOST_TEST(Find(f, q)["total"] == 1, q);
  }
  BOOST_TEST(Find(f, "SA123")["total"] == 0);  // a code matches whole, not by prefix
  json r = Find(f, "petrovic");
  const json& x = r["results"][0];
  BOOST_TEST(x["plate"] == "SA-123 BC");
  BOOST_TEST(x["driver"] == "Marko Petrović");
  BOOST_TEST(x["containers"] == json::array({"CSQU3054383"}));
  BOOST_TEST(x["consignees"] == json::array({"Bosna Trade d.o.o."}));
  BOOST_TEST(x["time"] == "2026-11-28T08:05:00Z");
}

BOOST_AUTO_TEST_CASE(pages_are_newest_first_disjoint_and_stable_under_new_rows) {
  SiteFixture f;
  for (int i = 0; i < 25; ++i) Add(f, Truck("NS" + std::to_string(100 + i), "Ilić", "Ivan", i));
  json p1 = Find(f, "ilic", 10, 1), p2 = Find(f, "ilic", 10, 2), p3 = Find(f, "ilic", 10, 3);
  BOOST_TEST(p1["total"] == 25);
  BOOST_TEST(p1["results"].size() == 10);
  BOOST_TEST(p3["results"].size() == 5);
  BOOST_TEST(p3["next_cursor"].is_null());
  BOOST_TEST(p1["results"][0]["plate"] == "NS124");  // newest first
  BOOST_TEST(p3["results"][4]["plate"] == "NS100");
  std::set<std::string> all;
  for (const json* p : {&p1, &p2, &p3}) {
    for (const auto& x : (*p)["results"]) all.insert(x["id"].get<std::string>());
  }
  BOOST_TEST(all.size() == 25u);
  // A newer movement arrives; the cursor of page 1 still leads to page 2.
  Add(f, Truck("NS999", "Ilić", "Ivan", 59));
  auto next =
      Search(*f.store, SearchQuery{"ilic", 10, 1, p1["next_cursor"].get<std::string>()}, f.officer);
  BOOST_REQUIRE(next.ok());
  BOOST_TEST((*next)["results"] == p2["results"]);
  BOOST_TEST(Find(f, "ilic", 10, 1)["results"][0]["plate"] == "NS999");
}

BOOST_AUTO_TEST_CASE(a_movement_that_arrived_by_merge_is_found) {
  SiteFixture site;
  SiteFixture hq(Role::kHq, "HQ");
  Add(hq, Truck("HQ1", "Marić", "Ana", 1));
  BOOST_TEST(Find(hq, "kovacevic")["total"] == 0);  // the index is built here, before the merge
  Add(site, Truck("SA999ZZ", "Kovačević", "Đorđe", 7));
  BOOST_REQUIRE(site.store->replica().Seal(FakeSign).ok());
  auto out = site.store->replica().BatchesFor(
      sync::VersionVector{}, [](const std::string&) { return true; }, SIZE_MAX);
  BOOST_REQUIRE(out.ok());
  std::vector<sync::SignedBatch> batches;
  for (auto& b : *out) batches.push_back(b.batch);
  auto accept = [](const sync::ChangeBatch&, const sync::SignedBatch&) { return Status::Ok(); };
  auto rep = hq.store->replica().Merge(batches, accept);
  BOOST_REQUIRE(rep.ok());
  BOOST_REQUIRE(rep->applied > 0);
  json r = Find(hq, "kovacevic dorde");
  BOOST_REQUIRE(r["total"] == 1);
  BOOST_TEST(r["results"][0]["plate"] == "SA999ZZ");
  BOOST_TEST(Find(hq, "Ковачевић Ђорђе")["total"] == 1);
}

BOOST_AUTO_TEST_CASE(a_deleted_movement_and_an_erased_person_are_not_found) {
  SiteFixture f;
  std::string gone = Add(f, Truck("KG100", "Lukić", "Zoran", 1));
  std::string kept = Add(f, Truck("KG200", "Simić", "Goran", 2));
  BOOST_TEST(Find(f, "lukic")["total"] == 1);
  Actor why{f.officer.officer, "entered in error"};
  BOOST_REQUIRE(f.records->Delete(gone, why).ok());
  BOOST_TEST(Find(f, "lukic")["total"] == 0);
  BOOST_TEST(Find(f, "KG100")["total"] == 0);
  auto m = f.records->Get(kept, f.officer);
  BOOST_REQUIRE(m.ok());
  std::string person = (*m)["persons"][0]["id"].get<std::string>();
  BOOST_REQUIRE_MESSAGE(f.records->Delete(person, why).ok(), "erase " + person);
  BOOST_TEST(Find(f, "simic")["total"] == 0);
  json by_plate = Find(f, "KG200");
  BOOST_REQUIRE(by_plate["total"] == 1);
  BOOST_TEST(by_plate["results"][0]["driver"].is_null());
}

BOOST_AUTO_TEST_CASE(a_short_query_is_refused_naming_q_and_a_search_is_audited) {
  SiteFixture f;
  Add(f, Truck("ZZ1", "Perić", "Pera", 1));
  for (const char* q : {"", " ", "a", "Ђ"}) {
    auto r = Search(*f.store, SearchQuery{q}, f.officer);
    BOOST_REQUIRE(!r.ok());
    BOOST_TEST(r.status().code() == Code::kInvalidArgument);
    BOOST_TEST(r.status().message().rfind("q:", 0) == 0u, r.status().message());
  }
  auto before = f.store->db().QueryInt("SELECT count(*) FROM live_audit_entry");
  auto r = Search(*f.store, SearchQuery{"peric"}, Actor{f.officer.officer, "case 42"});
  BOOST_REQUIRE(r.ok());
  BOOST_TEST(*f.store->db().QueryInt("SELECT count(*) FROM live_audit_entry") == *before + 1);
  auto detail = f.store->db().QueryText(
      "SELECT detail FROM live_audit_entry WHERE action = 'consult' ORDER BY seq DESC LIMIT 1");
  BOOST_REQUIRE(detail.ok());
  BOOST_TEST(detail->find("case 42") != std::string::npos, *detail);
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace
}  // namespace outpost::node
