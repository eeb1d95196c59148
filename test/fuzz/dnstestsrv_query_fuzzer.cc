// Fuzzes the query parser of the DNS codec (dnswire/message.h): every UDP
// datagram and TCP message the test DNS server receives goes through
// ParseQuery first. A parsed query must
// re-encode to the same query, and the server's answer to it must be a
// well-formed response.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

#include "dnswire/message.h"
#include "test/fuzz/fuzz_check.h"

using acmeva::dnswire::BuildErrorResponse;
using acmeva::dnswire::BuildQuery;
using acmeva::dnswire::BuildResponse;
using acmeva::dnswire::ParseMessage;
using acmeva::dnswire::ParseQuery;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  // The header alone must be readable whenever 12 bytes are there, so the
  // server can answer FORMERR with the right ID.
  auto header = acmeva::dnswire::ParseHeader(data, size);
  FUZZ_CHECK(header.has_value() == (size >= acmeva::dnswire::kHeaderSize),
             "header readability disagrees with size %zu", size);

  auto query = ParseQuery(data, size);
  if (!query.ok()) {
    if (header) {
      const std::vector<uint8_t> formerr =
          BuildErrorResponse(*header, acmeva::dnswire::kFormErr);
      auto parsed = ParseMessage(formerr.data(), formerr.size());
      FUZZ_CHECK(parsed.ok() && parsed->header.id == header->id &&
                     parsed->header.qr &&
                     parsed->header.rcode == acmeva::dnswire::kFormErr,
                 "FORMERR answer is not a FORMERR for id %u", header->id);
    }
    return 0;
  }
  const acmeva::dnswire::Query& q = *query;
  FUZZ_CHECK(!q.header.qr && q.header.qdcount == 1, "accepted a non-query");
  FUZZ_CHECK(acmeva::dnswire::ValidateName(q.qname).ok(),
             "parsed qname \"%s\" is not a valid presentation name",
             q.qname.c_str());
  if (q.has_edns) {
    FUZZ_CHECK(q.udp_payload_size >= acmeva::dnswire::kClassicUdpSize,
               "EDNS payload size %u below 512", q.udp_payload_size);
  }

  // Re-encode and parse again: same question, ID, RD and EDNS size.
  const std::optional<uint16_t> edns =
      q.has_edns ? std::optional<uint16_t>(q.udp_payload_size) : std::nullopt;
  const std::vector<uint8_t> again =
      BuildQuery(q.header.id, q.qname, q.qtype,
                 {.rd = q.header.rd, .edns_udp_size = edns});
  auto reparsed = ParseQuery(again.data(), again.size());
  FUZZ_CHECK(reparsed.ok(), "re-encoded query does not parse: %s",
             std::string(reparsed.status().message()).c_str());
  FUZZ_CHECK(reparsed->qname == q.qname, "qname \"%s\" became \"%s\"",
             q.qname.c_str(), reparsed->qname.c_str());
  FUZZ_CHECK(
      reparsed->qtype == q.qtype && reparsed->header.id == q.header.id &&
          reparsed->header.rd == q.header.rd &&
          reparsed->has_edns == q.has_edns &&
          (!q.has_edns || reparsed->udp_payload_size == q.udp_payload_size),
      "re-encoded query differs");

  // Canonical names are a fixed point.
  const std::string canonical = acmeva::dnswire::CanonicalName(q.qname);
  FUZZ_CHECK(acmeva::dnswire::CanonicalName(canonical) == canonical,
             "CanonicalName is not idempotent on \"%s\"", q.qname.c_str());

  // An answer with a record at the query name fits and parses back.
  acmeva::dnswire::Response response;
  response.answers.push_back(
      {q.qname, 60,
       acmeva::dnswire::TxtRecord{{"fuzz", std::string(300, 'x')}}});
  const size_t limit = q.has_edns ? q.udp_payload_size : 512;
  const std::vector<uint8_t> answer = BuildResponse(q, response, limit);
  auto parsed = ParseMessage(answer.data(), answer.size());
  FUZZ_CHECK(parsed.ok(), "our answer does not parse: %s",
             std::string(parsed.status().message()).c_str());
  FUZZ_CHECK(parsed->header.id == q.header.id && parsed->header.qr &&
                 parsed->qname == q.qname && parsed->qtype == q.qtype,
             "answer does not echo the question");
  // Header, question and OPT always fit in 512 octets, so the answer does
  // too, without the record (and with TC) if need be.
  FUZZ_CHECK(answer.size() <= limit, "answer of %zu > %zu octets",
             answer.size(), limit);
  FUZZ_CHECK(parsed->answers.size() == (parsed->header.tc ? 0u : 1u),
             "TC=%d with %zu answers", parsed->header.tc,
             parsed->answers.size());
  return 0;
}
