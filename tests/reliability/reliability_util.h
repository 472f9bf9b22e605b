// Helpers shared by the crash-test driver (crash_test.cc) and the child it
// kills (crash_child.cc): the documents the child writes, and the file of
// exported change batches the merge child reads.
//
// Batch file format: for each batch, a 4-byte little-endian length, then
// sync::EncodeSignedBatch bytes. Written whole by the driver before any
// child starts; read-only afterwards.
#ifndef OUTPOST_TESTS_RELIABILITY_RELIABILITY_UTIL_H_
#define OUTPOST_TESTS_RELIABILITY_RELIABILITY_UTIL_H_

#include <cstdint>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "base/status.h"
#include "sync/change_batch.h"

namespace outpost::reliability {

// A truck movement with everything a movement nests (vehicle, container and
// seal, consignment, parties, goods, a driver): ten rows and an audit entry
// in one transaction. `n` varies the plate and the declaration.
inline nlohmann::json TruckDoc(int64_t n) {
  std::string num = std::to_string(100000 + (n % 900000));
  return nlohmann::json::parse(R"({
    "direction": "in", "mode": "road", "time": "2026-11-28T10:15:00Z",
    "declaration": "26BA00000)" +
                               num + R"(", "route": "TR,RS,BA",
    "vehicle": {"plate": "SA)" +
                               num + R"(", "plate_country": "RS", "kind": "truck"},
    "equipment": [{"number": "CSQU3054383", "size_type": "42G1", "loaded": true,
                   "seals": [{"number": "S)" +
                               num + R"(", "issuer": "TR customs",
                              "condition": "intact"}]}],
    "consignments": [{"transport_doc_type": "CMR", "transport_doc_number": "A)" +
                               num + R"(",
                      "shipper": {"name": "Acme Ltd", "country": "TR", "tin": "123"},
                      "consignee": {"name": "Bosna Trade", "country": "BA"},
                      "origin_country": "TR", "dispatch_country": "TR",
                      "destination_country": "BA",
                      "goods": [{"hs_code": "240220", "description": "cigarettes",
                                 "packages": 100, "gross_kg": 1200.5, "net_kg": 1100,
                                 "value": 50000, "currency": "EUR"}]}],
    "persons": [{"role": "driver", "family_name": "Petrović", "given_names": "Marko"}]
  })");
}

inline Status WriteBatchFile(const std::string& path,
                             const std::vector<sync::SignedBatch>& batches) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  for (const auto& b : batches) {
    Bytes enc = sync::EncodeSignedBatch(b);
    uint32_t n = static_cast<uint32_t>(enc.size());
    uint8_t len[4] = {static_cast<uint8_t>(n), static_cast<uint8_t>(n >> 8),
                      static_cast<uint8_t>(n >> 16), static_cast<uint8_t>(n >> 24)};
    out.write(reinterpret_cast<const char*>(len), 4);
    out.write(reinterpret_cast<const char*>(enc.data()), static_cast<std::streamsize>(n));
  }
  out.flush();
  if (!out) return Status::IoError("cannot write " + path);
  return Status::Ok();
}

inline Result<std::vector<sync::SignedBatch>> ReadBatchFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::IoError("cannot read " + path);
  std::vector<sync::SignedBatch> out;
  for (;;) {
    uint8_t len[4];
    if (!in.read(reinterpret_cast<char*>(len), 4)) break;
    uint32_t n = len[0] | (len[1] << 8) | (len[2] << 16) | (uint32_t{len[3]} << 24);
    Bytes enc(n);
    if (!in.read(reinterpret_cast<char*>(enc.data()), n)) {
      return Status::Corruption(path + ": truncated batch");
    }
    OUTPOST_ASSIGN_OR_RETURN(auto b, sync::DecodeSignedBatch(enc));
    out.push_back(std::move(b));
  }
  return out;
}

}  // namespace outpost::reliability

#endif  // OUTPOST_TESTS_RELIABILITY_RELIABILITY_UTIL_H_
