// The DNS wire codec (RFC 1035, 3596, 6891, 8659) for the whole project:
// the VA builds its queries and reads its answers with it, dnstestsrv
// parses queries and builds answers, the tests' DNS fakes do both.
// Parsing is a pure function over untrusted bytes (fuzz targets cover it),
// so every read is bounds-checked and name decompression cannot loop.
#ifndef DNSWIRE_MESSAGE_H_
#define DNSWIRE_MESSAGE_H_

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/functional/function_ref.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "dnswire/name.h"
#include "dnswire/records.h"
#include "dnswire/rr_type.h"

namespace acmeva::dnswire {

enum Rcode : uint8_t {
  kNoError = 0,
  kFormErr = 1,
  kServFail = 2,
  kNxDomain = 3,
  kNotImp = 4,
  kRefused = 5,
};

constexpr uint16_t kClassIN = 1;
constexpr uint16_t kClassCH = 3;
constexpr size_t kHeaderSize = 12;
constexpr size_t kClassicUdpSize = 512;
constexpr uint16_t kEdnsOptionEde = 15;  // RFC 8914

// The fixed 12-byte header, readable even when the rest is garbage (so a
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
  RRType qtype{};
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
// `*end` to the offset just past the name's in-place encoding.
absl::StatusOr<std::string> ReadName(const uint8_t* data, size_t size,
                                     size_t offset, size_t* end);

// ReadName without building the name: the same checks, pointers followed.
absl::Status CheckName(const uint8_t* data, size_t size, size_t offset,
                       size_t* end);

// Moves `*offset` past the name there without following its compression
// pointer (which must point before itself): for owner names nobody reads.
bool SkipName(const uint8_t* data, size_t size, size_t* offset);

// TXT RDATA (RFC 1035 §3.3.14): calls `string` for each character-string;
// fails when one overruns the RDATA. Empty RDATA has no strings.
absl::Status ForEachCharacterString(
    absl::Span<const uint8_t> rdata,
    absl::FunctionRef<void(absl::string_view)> string);

// CAA RDATA (RFC 8659 §4.1): flags, tag length, tag, value (may be empty).
// Decodes into `*out` (so a caller can fill its vector in place).
absl::Status DecodeCaa(absl::Span<const uint8_t> rdata, CaaRecord* out);

// Calls `option` for each EDNS option (RFC 6891 §6.1.2) in an OPT RR's
// RDATA until it returns false; an option that overruns the RDATA ends the
// walk.
void ForEachEdnsOption(
    absl::Span<const uint8_t> rdata,
    absl::FunctionRef<bool(uint16_t code, absl::Span<const uint8_t> data)>
        option);

// A record's fixed part, read after its owner name.
struct RecordHeader {
  RRType type{};
  uint16_t rclass = 0;
  uint32_t ttl = 0;
  size_t rdata_offset = 0;
  uint16_t rdlength = 0;
};

// Reads type, class, TTL and RDLENGTH at `*offset` and moves it past the
// RDATA; fails when the record overruns the message.
absl::StatusOr<RecordHeader> ReadRecordHeader(const uint8_t* data, size_t size,
                                              size_t* offset);

struct Response {
  uint8_t rcode = kNoError;  // the upper 8 bits go in OPT (with EDNS)
  bool aa = true;
  bool ra = false;  // a recursor's answer (the tests' fake resolvers)
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

struct QueryOptions {
  bool rd = true;
  // RFC 6840 §5.7: ask the resolver to say whether the answer is
  // DNSSEC-authenticated.
  bool ad = false;
  // With a value, an EDNS0 OPT RR advertising it (DO clear, no options)
  // as the last 11 octets of the message.
  std::optional<uint16_t> edns_udp_size = std::nullopt;
  NameSyntax syntax = NameSyntax::kPresentation;
};

// A query for `name`/`qtype`, class IN. A name that is not valid in
// `options.syntax` is written as the root: validate first where it matters.
std::vector<uint8_t> BuildQuery(uint16_t id, absl::string_view name,
                                RRType qtype, const QueryOptions& options = {});

// A fully decoded message: records keep raw RDATA and, for the types
// above, decoded data.
struct ParsedRecord {
  std::string name;
  RRType type{};
  uint16_t rclass = 0;
  uint32_t ttl = 0;
  std::vector<uint8_t> rdata;
  std::optional<RecordData> data;
};
struct ParsedMessage {
  Header header;
  std::string qname;
  RRType qtype{};
  std::vector<ParsedRecord> answers;
  std::vector<ParsedRecord> authority;
  std::vector<ParsedRecord> additional;
};
absl::StatusOr<ParsedMessage> ParseMessage(const uint8_t* data, size_t size);

}  // namespace acmeva::dnswire

#endif  // DNSWIRE_MESSAGE_H_
