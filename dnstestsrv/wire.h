// A small DNS wire codec (RFC 1035, 3596, 6891, 8659), just what an
// authoritative test server needs: parse one query, build one response.
// Parsing is a pure function over untrusted bytes (it is a fuzz target), so
// every read is bounds-checked and name decompression cannot loop.
#ifndef DNSTESTSRV_WIRE_H_
#define DNSTESTSRV_WIRE_H_

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace acmeva::dnstestsrv {

enum RRType : uint16_t {
  kTypeA = 1,
  kTypeNS = 2,
  kTypeCNAME = 5,
  kTypeSOA = 6,
  kTypeMX = 15,
  kTypeTXT = 16,
  kTypeAAAA = 28,
  kTypeOPT = 41,
  kTypeANY = 255,
  kTypeCAA = 257,
};

enum Rcode : uint8_t {
  kNoError = 0,
  kFormErr = 1,
  kServFail = 2,
  kNxDomain = 3,
  kNotImp = 4,
  kRefused = 5,
};

constexpr uint16_t kClassIN = 1;
constexpr size_t kHeaderSize = 12;
constexpr size_t kMaxNameLength = 255;  // wire octets, RFC 1035 2.3.4
constexpr size_t kClassicUdpSize = 512;

// "TXT", "CAA", ... or "TYPE<n>" (RFC 3597) for others.
std::string RRTypeToString(uint16_t type);
// Inverse of RRTypeToString, case-insensitive; accepts "TYPE<n>" and plain
// numbers. nullopt for unknown mnemonics.
std::optional<uint16_t> RRTypeFromString(absl::string_view text);

// The fixed 12-byte header, readable even when the rest is garbage (so the
// server can answer FORMERR with the right id).
struct Header {
  uint16_t id = 0;
  bool qr = false;
  uint8_t opcode = 0;
  bool aa = false;
  bool tc = false;
  bool rd = false;
  bool ra = false;
  bool ad = false;
  bool cd = false;
  uint8_t rcode = 0;
  uint16_t qdcount = 0;
  uint16_t ancount = 0;
  uint16_t nscount = 0;
  uint16_t arcount = 0;
};

std::optional<Header> ParseHeader(const uint8_t* data, size_t size);

struct Query {
  Header header;
  // The question name in presentation form without the trailing dot, case
  // as sent ("" is the root). A '.' or '\' inside a label is escaped as
  // "\." or "\\", other non-printable octets as "\DDD".
  std::string qname;
  uint16_t qtype = 0;
  uint16_t qclass = 0;
  bool has_edns = false;
  uint16_t udp_payload_size = 0;  // from OPT when has_edns (min. 512)
  uint8_t edns_version = 0;
  bool dnssec_ok = false;
};

// Parses a query: header, exactly one question, and the other sections only
// to find an EDNS OPT record. Fails (InvalidArgument) on a response (QR=1),
// a qdcount other than 1, truncation, bad compression pointers (forward,
// looping, out of bounds), over-long names or more than one OPT. Bytes
// after the counted records are ignored.
absl::StatusOr<Query> ParseQuery(const uint8_t* data, size_t size);

// Decodes the (possibly compressed) name at `offset`; on success sets
// `*end` to the offset just past the name's in-place encoding. Exposed for
// tests and for parsing responses in tests.
absl::StatusOr<std::string> ReadName(const uint8_t* data, size_t size,
                                     size_t offset, size_t* end);

// The store's key form: lower-case, no trailing dot, escapes as in
// Query::qname (so AsciiStrToLower(query.qname) is already canonical).
std::string CanonicalName(absl::string_view name);

// OK when `name` (presentation form, "\DDD" and "\X" escapes allowed, one
// optional trailing dot) has no empty label, no label over 63 octets and at
// most 255 octets on the wire.
absl::Status ValidateName(absl::string_view name);

// Record data, one struct per supported type.
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
  uint8_t flags = 0;
  std::string tag;
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

struct ResourceRecord {
  std::string name;
  uint32_t ttl = 0;
  RecordData data;
};

uint16_t RecordType(const RecordData& data);

struct Response {
  uint8_t rcode = kNoError;
  bool aa = true;
  bool ad = false;
  bool tc = false;
  std::vector<ResourceRecord> answers;
  std::vector<ResourceRecord> authority;
};

// Serializes `response` as the answer to `query` (id, opcode, RD and CD
// copied; question echoed; OPT added when the query had EDNS). If the
// message would exceed `max_size`, the records are dropped and TC is set:
// the client must retry over TCP. Names are compressed.
std::vector<uint8_t> BuildResponse(const Query& query, const Response& response,
                                   size_t max_size);

// A header-only error answer (e.g. FORMERR) echoing id, opcode and RD.
std::vector<uint8_t> BuildErrorResponse(const Header& query_header,
                                        uint8_t rcode);

// A query message, for tests and tools.
std::vector<uint8_t> BuildQuery(uint16_t id, absl::string_view name,
                                uint16_t qtype, bool rd = true,
                                std::optional<uint16_t> edns_udp_size = {});

// A parsed response, for tests: records keep raw RDATA and, for the types
// above, decoded data.
struct ParsedRecord {
  std::string name;
  uint16_t type = 0;
  uint16_t rclass = 0;
  uint32_t ttl = 0;
  std::vector<uint8_t> rdata;
  std::optional<RecordData> data;
};
struct ParsedMessage {
  Header header;
  std::string qname;
  uint16_t qtype = 0;
  std::vector<ParsedRecord> answers;
  std::vector<ParsedRecord> authority;
  std::vector<ParsedRecord> additional;
};
absl::StatusOr<ParsedMessage> ParseMessage(const uint8_t* data, size_t size);

}  // namespace acmeva::dnstestsrv

#endif  // DNSTESTSRV_WIRE_H_
