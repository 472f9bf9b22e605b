// GET /volumes, /api/volumes and /api/volumes.csv through web::App: who may
// read them (analysts and admins), how a bad filter is refused (422 naming
// the field, the value and the rule), and a CSV that parses (RFC 4180) into
// as many rows as the JSON shows, with the same figures.
#include <boost/test/unit_test.hpp>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "base/clock.h"
#include "node/volumes.h"
#include "tests/web/web_fixture.h"

namespace outpost::testing {
namespace {

using nlohmann::json;

// An RFC 4180 parser: quoted fields may hold commas, quotes ("") and CRLF.
std::vector<std::vector<std::string>> ParseCsv(const std::string& text) {
  std::vector<std::vector<std::string>> rows;
  std::vector<std::string> row;
  std::string field;
  bool quoted = false;
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (quoted) {
      if (c == '"' && i + 1 < text.size() && text[i + 1] == '"') {
        field += '"';
        ++i;
      } else if (c == '"') {
        quoted = false;
      } else {
        field += c;
      }
    } else if (c == '"') {
      quoted = true;
    } else if (c == ',') {
      row.push_back(std::move(field));
      field.clear();
    } else if (c == '\r' && i + 1 < text.size() && text[i + 1] == '\n') {
      row.push_back(std::move(field));
      field.clear();
      rows.push_back(std::move(row));
      row.clear();
      ++i;
    } else {
      BOOST_REQUIRE_MESSAGE(c != '\n', "a bare LF at byte " << i);
      field += c;
    }
  }
  BOOST_REQUIRE_MESSAGE(row.empty() && field.empty(), "the CSV does not end with CRLF");
  return rows;
}

struct VolumesFixture : WebFixture {
  VolumesFixture() {
    BOOST_REQUIRE(accounts->Add("iva", web::Role::kAnalyst, kGoodPassword, clock.NowMicros()).ok());
  }
  // Records `n` movements an hour apart, ending now.
  void Record(int n, const std::string& mode, const std::string& direction) {
    for (int i = 0; i < n; ++i) {
      json doc = {{"direction", direction},
                  {"mode", mode},
                  {"time", FormatUtcMicros(clock.NowMicros() - i * node::kHourMicros)}};
      auto r = records->Add("movement", doc, officer);
      BOOST_REQUIRE_MESSAGE(r.ok(), r.status().ToString());
    }
  }
  std::string Today() { return FormatUtcMicros(clock.NowMicros()).substr(0, 10); }
};

BOOST_AUTO_TEST_SUITE(volumes_api)

BOOST_FIXTURE_TEST_CASE(volumes_are_for_analysts_and_admins_and_need_a_session, VolumesFixture) {
  for (const char* path : {"/api/volumes", "/api/volumes.csv"}) {
    BOOST_TEST(Call("GET", path).status == 401);
    for (const char* who : {"marko", "sead"}) {  // officer, supervisor
      auto r = Call("GET", path, "", SignIn(who).cookie);
      BOOST_TEST(r.status == 403, path << " " << who);
      BOOST_TEST(json::parse(r.body)["errors"][0]["field"] == "role");
    }
    for (const char* who : {"iva", "ana"}) {  // analyst, admin
      BOOST_TEST(Call("GET", path, "", SignIn(who).cookie).status == 200, path << " " << who);
    }
  }
  BOOST_TEST(Call("GET", "/volumes").status == 303);  // a page: to /login
  BOOST_TEST(Call("GET", "/volumes", "", SignIn("marko").cookie).status == 403);
  BOOST_TEST(Call("GET", "/volumes", "", SignIn("iva").cookie).status == 200);
}

BOOST_FIXTURE_TEST_CASE(a_bad_filter_is_422_naming_the_field_value_and_rule, VolumesFixture) {
  auto iva = SignIn("iva");
  struct Bad {
    std::string query, field, value;
  };
  const std::vector<Bad> bad = {
      {"by=week", "by", "week"},
      {"from=yesterday", "from", "yesterday"},
      {"to=2026-13-45", "to", "2026-13-45"},
      {"from=2026-11-20&to=2026-11-10", "to", "2026-11-10"},
      {"by=hour&from=2026-01-01&to=2026-11-10", "to", "2026-11-10"},
      {"by=day&from=2026-11-10T10:30:00Z&to=2026-11-12", "from", "2026-11-10T10:30:00Z"},
      {"crossing=gradiska", "crossing", "gradiska"},
      {"crossing=BA-BIJ", "crossing", "BA-BIJ"},  // no records of it here
  };
  for (const Bad& b : bad) {
    for (const char* path : {"/api/volumes?", "/api/volumes.csv?"}) {
      auto r = Call("GET", path + b.query, "", iva.cookie);
      BOOST_TEST(r.status == 422, b.query << ": " << r.body);
      json e = json::parse(r.body)["errors"][0];
      BOOST_TEST(e["field"] == b.field, b.query << ": " << r.body);
      BOOST_TEST(e["value"] == b.value, b.query << ": " << r.body);
      BOOST_TEST(!e["rule"].get<std::string>().empty(), b.query);
      BOOST_TEST(e["message"].get<std::string>().rfind(b.field + ":", 0) == 0, r.body);
    }
  }
}

BOOST_FIXTURE_TEST_CASE(the_csv_parses_with_the_rows_and_figures_of_the_json, VolumesFixture) {
  Record(5, "road", "in");
  Record(3, "rail", "out");
  auto iva = SignIn("iva");
  const std::string filters = "?crossing=BA-GRA&by=hour&from=" + Today() + "&to=" + Today();
  auto j = Call("GET", "/api/volumes" + filters, "", iva.cookie);
  BOOST_REQUIRE_MESSAGE(j.status == 200, j.body);
  json v = json::parse(j.body);
  BOOST_TEST(v["totals"]["movements"].get<int64_t>() > 0);
  BOOST_TEST(v["crossings"] == json::array({"BA-GRA"}));
  auto c = Call("GET", "/api/volumes.csv" + filters, "", iva.cookie);
  BOOST_REQUIRE(c.status == 200);
  BOOST_TEST(c.content_type == "text/csv; charset=utf-8");
  BOOST_TEST(Header(c, "Content-Disposition").rfind("attachment; filename=\"volumes-BA-GRA-", 0) ==
             0);
  BOOST_TEST(Header(c, "Content-Security-Policy").find("default-src 'self'") != std::string::npos);
  auto rows = ParseCsv(c.body);
  BOOST_REQUIRE(rows.size() == v["rows"].size() + 1);  // the header, then one per JSON row
  const auto& header = rows[0];
  BOOST_TEST(header[0] == "period_start");
  BOOST_TEST(header[1] == "crossing");
  BOOST_TEST(header.size() == v["keys"].size() + 2);
  int64_t movements = 0;
  for (size_t i = 1; i < rows.size(); ++i) {
    const json& row = v["rows"][i - 1];
    BOOST_TEST(rows[i][0] == row["start"].get<std::string>());
    BOOST_TEST(rows[i][1] == row["crossing"].get<std::string>());
    for (size_t k = 2; k < header.size(); ++k) {
      BOOST_TEST(std::stoll(rows[i][k]) == row[header[k]].get<int64_t>(), header[k]);
    }
    movements += std::stoll(rows[i][2]);
  }
  BOOST_TEST(movements == v["totals"]["movements"].get<int64_t>());
}

BOOST_FIXTURE_TEST_CASE(a_new_movement_shows_at_the_next_read, VolumesFixture) {
  auto iva = SignIn("iva");
  const std::string filters = "?from=" + Today() + "&to=" + Today();
  auto before = json::parse(Call("GET", "/api/volumes" + filters, "", iva.cookie).body);
  Record(1, "air", "in");
  auto after = json::parse(Call("GET", "/api/volumes" + filters, "", iva.cookie).body);
  BOOST_TEST(after["totals"]["movements"].get<int64_t>() ==
             before["totals"]["movements"].get<int64_t>() + 1);
  BOOST_TEST(after["totals"]["air_in"].get<int64_t>() == 1);
  BOOST_TEST(after["totals"]["lane_none"].get<int64_t>() == 1);
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace
}  // namespace outpost::testing
