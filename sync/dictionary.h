// Training a zstd dictionary on record STRUCTURE only (docs/protocol.md,
// "Compression"): a dictionary learnt from a crossing's traffic would carry
// that traffic's names, plates and document numbers to every node and
// flatter any benchmark run on the same pools. So a training sample is a
// batch body with everything but its shape taken out:
//
//   kept:    the batch framing, scope, table and column numbers, causal
//            lengths, value tags, numbers, and text of columns whose check
//            names a closed list (schema::Check kEnum, kEnumList, kCountry,
//            kCountryList, kCurrency, kUnit, kSiteCode, kNationality,
//            kContainerSizeType)
//   blanked: every other text and blob (names, plates, document numbers,
//            VINs, container numbers, references, free text): empty
//   zeroed:  origin, row ids, previous hash (random bytes teach nothing)
//
// Thread safety: pure functions.
#ifndef OUTPOST_SYNC_DICTIONARY_H_
#define OUTPOST_SYNC_DICTIONARY_H_

#include <span>
#include <vector>

#include "base/bytes.h"
#include "base/status.h"
#include "schema/catalogue.h"

namespace outpost::sync {

// The version of the structure dictionary this build trains and ships; a
// batch compressed with it names this id.
inline constexpr uint32_t kStructureDictionaryVersion = 1;

// True for a column whose values come from a closed list (kept above).
bool IsClosedListColumn(const schema::Column& column);

// A body reduced to its structure as above. kCorruption for a body that
// does not decode; unknown tables or columns are blanked.
Result<Bytes> StructureSample(std::span<const uint8_t> body, const schema::Catalogue& catalogue);

// A zstd dictionary of at most `capacity` bytes trained on `samples`
// (ZDICT_trainFromBuffer). kInvalidArgument when zstd cannot train one
// (too few or too uniform samples).
Result<Bytes> TrainDictionary(const std::vector<Bytes>& samples, size_t capacity = 16 * 1024);

}  // namespace outpost::sync

#endif  // OUTPOST_SYNC_DICTIONARY_H_
