// The record data the project builds and decodes (RFC 1035, 3596, 8659),
// one struct per type: dnstestsrv's store, the VA's CAA answers, the fakes.
#ifndef DNSWIRE_RECORDS_H_
#define DNSWIRE_RECORDS_H_

#include <array>
#include <cstdint>
#include <string>
#include <variant>
#include <vector>

#include "dnswire/rr_type.h"

namespace acmeva::dnswire {

// Record data, one struct per decoded type.
struct ARecord {
  std::array<uint8_t, 4> address{};
};
struct AaaaRecord {
  std::array<uint8_t, 16> address{};
};
struct CnameRecord {
  std::string target;
};
struct TxtRecord {
  // One RR; each entry is one character-string. Entries longer than 255
  // bytes are split into several character-strings when encoded.
  std::vector<std::string> strings;
};
struct CaaRecord {
  uint8_t flags = 0;  // the raw flags octet (128 = issuer critical)
  std::string tag;    // as received; compare case-insensitively
  std::string value;
};
struct SoaRecord {
  std::string mname;
  std::string rname;
  uint32_t serial = 1;
  uint32_t refresh = 3600;
  uint32_t retry = 600;
  uint32_t expire = 86400;
  uint32_t minimum = 0;
};

using RecordData = std::variant<ARecord, AaaaRecord, CnameRecord, TxtRecord,
                                CaaRecord, SoaRecord>;

inline RRType RecordType(const RecordData& data) {
  static constexpr RRType kTypes[] = {RRType::kA,     RRType::kAAAA,
                                      RRType::kCNAME, RRType::kTXT,
                                      RRType::kCAA,   RRType::kSOA};
  return kTypes[data.index()];
}

struct ResourceRecord {
  std::string name;
  uint32_t ttl = 0;
  RecordData data;
};

}  // namespace acmeva::dnswire

#endif  // DNSWIRE_RECORDS_H_
