// GET /api/volumes and GET /api/volumes.csv
//   ?crossing=BA-GRA&from=2026-11-01&to=2026-11-30&by=day|hour (docs/api.md):
// HQ's volume counters (node/volumes.h) as JSON or as an RFC 4180 CSV file.
// `from` and `to` are dates (UTC days, both included) or RFC 3339 UTC times
// at a bucket start (`to` then excluded); by default the last 7 days (by day)
// or the last 24 hours (by hour), up to the end of today (UTC). Counts hold
// no personal data, so a read is not audited. Roles are checked in kRoutes
// (app.cc): analysts and admins.
#include "base/clock.h"
#include "node/volumes.h"
#include "schema/validators.h"
#include "web/app.h"

namespace outpost::web {
namespace {

using nlohmann::json;

// "YYYY-MM-DD" (the day's start, or with `end` the next day's) or RFC 3339.
bool ParseBound(const std::string& text, bool end, int64_t* micros) {
  if (text.size() == 10 && schema::ValidateDate("", text).ok()) {
    if (!ParseUtcMicros(text + "T00:00:00Z", micros)) return false;
    if (end) *micros += node::kDayMicros;
    return true;
  }
  return ParseUtcMicros(text, micros);
}

HttpResponse Refused(const std::string& field, const std::string& value, const Status& s) {
  const std::string& m = s.message();
  size_t colon = m.find(": ");
  std::string rule = colon == std::string::npos ? m : m.substr(colon + 2);
  return Fail(422, field, value, rule, m);
}

std::string FileName(const node::VolumeQuery& q) {
  std::string name = "volumes-" + (q.crossing.empty() ? std::string("all") : q.crossing) + "-" +
                     FormatUtcMicros(q.from).substr(0, 10) + "-" +
                     (q.by == node::VolumeBucket::kHour ? "hour" : "day") + ".csv";
  return name;
}

}  // namespace

HttpResponse App::VolumesApi(const std::string& query, bool csv) {
  auto params = QueryParams(query);
  node::VolumeQuery q;
  q.crossing = params["crossing"];
  const std::string by = params.count("by") ? params["by"] : "day";
  if (by != "day" && by != "hour") {
    return Fail(422, "by", by, "hour or day", "by: \"" + by + "\" is not hour or day");
  }
  q.by = by == "hour" ? node::VolumeBucket::kHour : node::VolumeBucket::kDay;
  int64_t today_end = (store_.clock().NowMicros() / node::kDayMicros + 1) * node::kDayMicros;
  q.to = today_end;
  q.from = today_end - (by == "hour" ? node::kDayMicros : 7 * node::kDayMicros);
  for (auto [name, target] : {std::pair{"from", &q.from}, std::pair{"to", &q.to}}) {
    auto it = params.find(name);
    if (it == params.end() || it->second.empty()) continue;
    if (!ParseBound(it->second, name == std::string("to"), target)) {
      return Fail(422, name, it->second, "a date YYYY-MM-DD or an RFC 3339 UTC time",
                  std::string(name) + ": \"" + it->second +
                      "\" is not a date YYYY-MM-DD or an RFC 3339 UTC time");
    }
  }
  if (q.to <= q.from && params.count("from") && params.count("to")) {
    // Said in the user's own terms: "to" a date means the end of that day.
    return Fail(422, "to", params["to"], "must be on or after from (" + params["from"] + ")",
                "to: \"" + params["to"] + "\" is before from (\"" + params["from"] + "\")");
  }
  auto volumes = node::ReadVolumes(store_, q);
  if (!volumes.ok()) {
    const Status& s = volumes.status();
    if (s.code() != Code::kInvalidArgument) return Fail(500, "", "", "store readable", s.message());
    std::string field = s.message().substr(0, s.message().find(':'));
    return Refused(field, params.count(field) ? params[field] : "", s);
  }
  if (!csv) {
    json body = node::ToJson(*volumes, q);
    auto crossings = node::VolumeCrossings(store_);
    body["crossings"] = crossings.ok() ? json(*crossings) : json::array();
    return JsonResponse(200, body);
  }
  HttpResponse r;
  r.content_type = "text/csv; charset=utf-8";
  r.body = node::ToCsv(*volumes);
  r.headers.emplace_back("Content-Disposition", "attachment; filename=\"" + FileName(q) + "\"");
  r.headers.emplace_back("Cache-Control", "no-store");
  return r;
}

}  // namespace outpost::web
