// Records::File (node/records.h): a movement's file as the desk's Movement
// page shows it — the record, its decisions and its inspections with their
// seizures, oldest first — read as one audited consultation.
#include <boost/test/unit_test.hpp>

#include "node/audit.h"
#include "node/risk/assessments.h"
#include "tests/node/node_fixture.h"

namespace outpost::node {
namespace {

using nlohmann::json;
using testing::SiteFixture;

const json kCar = json::parse(R"({
  "direction": "in", "mode": "road", "time": "2026-11-28T10:15:00Z",
  "vehicle": {"plate": "BL456KM", "plate_country": "BA", "kind": "car"},
  "persons": [{"role": "driver", "family_name": "Hodžić", "given_names": "Amra",
               "document_type": "id_card", "document_number": "1A2B3C4D5"}]})");

int64_t Consultations(SiteFixture& f) {
  auto entries = AuditLog(*f.store).List(1000, true);
  BOOST_REQUIRE(entries.ok());
  int64_t n = 0;
  for (const auto& e : *entries) n += e.value("action", "") == "consult";
  return n;
}

BOOST_AUTO_TEST_SUITE(movement_file)

BOOST_AUTO_TEST_CASE(a_file_holds_the_movement_its_decisions_and_its_inspections) {
  SiteFixture f;
  auto m = f.records->Add("movement", kCar, f.officer);
  BOOST_REQUIRE_MESSAGE(m.ok(), m.status().ToString());
  std::string id = (*m)["id"];
  BOOST_REQUIRE(
      RecordDecision(*f.store, id, risk::Lane::kRed, "nervous driver", "BA-GRA-0042").ok());
  f.clock.Advance(60'000'000);
  BOOST_REQUIRE(
      RecordDecision(*f.store, id, risk::Lane::kYellow, "supervisor: documents only", "BA-GRA-0007")
          .ok());
  auto x = f.records->Add("inspection",
                          json{{"movement", id},
                               {"selection_basis", "officer"},
                               {"result", "seizure"},
                               {"started", "2026-11-28T10:30:00Z"}},
                          f.officer);
  BOOST_REQUIRE_MESSAGE(x.ok(), x.status().ToString());
  auto z = f.records->Add("seizure",
                          json{{"inspection", (*x)["id"]},
                               {"commodity_group", "tobacco"},
                               {"quantity", 20},
                               {"unit", "C62"}},
                          f.officer);
  BOOST_REQUIRE_MESSAGE(z.ok(), z.status().ToString());

  int64_t before = Consultations(f);
  auto file = f.records->File(id, Actor{"marko", "desk view"});
  BOOST_REQUIRE_MESSAGE(file.ok(), file.status().ToString());
  const json& j = *file;
  BOOST_TEST(j["movement"]["vehicle"]["plate"] == "BL456KM", j.dump());
  BOOST_TEST(j["movement"]["persons"][0]["family_name"] == "Hodžić");
  BOOST_TEST(j["risk"].is_null(), "no ruleset, no assessment");
  BOOST_REQUIRE(j["decisions"].size() == 2u);
  BOOST_TEST(j["decisions"][0]["lane"] == "red");
  BOOST_TEST(j["decisions"][1]["reason"] == "supervisor: documents only");
  BOOST_REQUIRE(j["inspections"].size() == 1u);
  BOOST_TEST(j["inspections"][0]["result"] == "seizure");
  BOOST_REQUIRE(j["inspections"][0]["seizures"].size() == 1u);
  BOOST_TEST(j["inspections"][0]["seizures"][0]["commodity_group"] == "tobacco");
  // The whole file is one consultation of the movement, by the reader.
  BOOST_TEST(Consultations(f) == before + 1);
  auto last = AuditLog(*f.store).List(1, true);
  BOOST_REQUIRE(last.ok() && !last->empty());
  BOOST_TEST((*last)[0].value("officer", "") == "marko", last->dump());
}

BOOST_AUTO_TEST_CASE(only_a_stored_movement_has_a_file) {
  SiteFixture f;
  auto m = f.records->Add("movement", kCar, f.officer);
  BOOST_REQUIRE(m.ok());
  auto x = f.records->Add(
      "inspection",
      json{{"movement", (*m)["id"]}, {"selection_basis", "random"}, {"result", "nil"}}, f.officer);
  BOOST_REQUIRE(x.ok());
  auto other = f.records->File((*x)["id"].get<std::string>(), f.officer);
  BOOST_TEST(other.status().code() == Code::kInvalidArgument, other.status().ToString());
  auto unknown = f.records->File(UuidToString(f.store->NewId()), f.officer);
  BOOST_TEST(unknown.status().code() == Code::kNotFound, unknown.status().ToString());
  auto garbage = f.records->File("not-an-id", f.officer);
  BOOST_TEST(!garbage.ok());
  auto file = f.records->File((*m)["id"].get<std::string>(), f.officer);
  BOOST_REQUIRE(file.ok());
  BOOST_TEST((*file)["inspections"][0]["seizures"].empty());
  BOOST_TEST((*file)["decisions"].empty());
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace
}  // namespace outpost::node
