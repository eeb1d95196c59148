// Fuzzes the VA's DNS answer parser (va/dns/dns_message.h): every answer a
// resolver sends back, well-formed or not, goes through ParseAnswer.
//
// Two checks per input:
//  1. The raw bytes as an answer to a TXT and to a CAA query: never a crash,
//     and what is accepted is consistent with the message size.
//  2. Round trip: the input also drives the building of a well-formed answer
//     (with the codec's encoder, dnswire::BuildResponse, which shares no code
//     with the reading); ParseAnswer must accept it and return exactly the
//     TXT values or CAA records that were encoded.
#include <fuzzer/FuzzedDataProvider.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/types/span.h"
#include "dnswire/message.h"
#include "test/fuzz/fuzz_check.h"
#include "va/dns/dns_message.h"

namespace {

using acmeva::va::dns::ParseAnswer;
using acmeva::va::dns::RRType;

void CheckRaw(absl::Span<const uint8_t> message) {
  for (RRType type : {RRType::kTXT, RRType::kCAA}) {
    auto parsed = ParseAnswer(message, type);
    if (!parsed.ok()) continue;
    FUZZ_CHECK(message.size() >= 12, "accepted %zu octets", message.size());
    FUZZ_CHECK(parsed->rcode >= 0 && parsed->rcode < 4096, "rcode %d",
               parsed->rcode);
    size_t total = 0;
    for (const std::string& t : parsed->txt) total += t.size();
    for (const auto& c : parsed->caa) {
      FUZZ_CHECK(!c.tag.empty() && c.tag.size() <= 255, "CAA tag of %zu",
                 c.tag.size());
      total += 2 + c.tag.size() + c.value.size();
    }
    FUZZ_CHECK(total <= message.size(), "%zu octets of data from %zu", total,
               message.size());
    if (type == RRType::kCAA) {
      FUZZ_CHECK(parsed->txt.empty(), "TXT values from a CAA answer");
    } else {
      FUZZ_CHECK(parsed->caa.empty(), "CAA records from a TXT answer");
    }
  }
}

void CheckRoundTrip(FuzzedDataProvider& fdp) {
  const bool caa = fdp.ConsumeBool();
  acmeva::dnswire::Query query;
  query.header.id = fdp.ConsumeIntegral<uint16_t>();
  query.header.rd = true;
  query.header.qdcount = 1;
  query.qname = "_acme-challenge.example.com";
  query.qtype =
      caa ? acmeva::dnswire::RRType::kCAA : acmeva::dnswire::RRType::kTXT;
  query.qclass = acmeva::dnswire::kClassIN;
  query.has_edns = fdp.ConsumeBool();
  query.udp_payload_size = 1232;

  acmeva::dnswire::Response response;
  response.ad = fdp.ConsumeBool();
  std::string owner = query.qname;
  if (fdp.ConsumeBool()) {
    // A CNAME first: the parser skips records of other types.
    response.answers.push_back(
        {owner, 60, acmeva::dnswire::CnameRecord{"target.example.net"}});
    owner = "target.example.net";
  }
  std::vector<std::string> want_txt;
  std::vector<acmeva::va::dns::CaaRecord> want_caa;
  const int count = fdp.ConsumeIntegralInRange(0, 6);
  for (int i = 0; i < count; ++i) {
    if (caa) {
      acmeva::dnswire::CaaRecord r;
      r.flags = fdp.ConsumeIntegral<uint8_t>();
      r.tag = fdp.ConsumeRandomLengthString(20);
      if (r.tag.empty()) r.tag = "issue";
      r.value = fdp.ConsumeRandomLengthString(300);
      want_caa.push_back({r.flags, r.tag, r.value});
      response.answers.push_back({owner, 60, r});
    } else {
      acmeva::dnswire::TxtRecord r;
      std::string joined;
      const int strings = fdp.ConsumeIntegralInRange(1, 3);
      for (int k = 0; k < strings; ++k) {
        std::string s = fdp.ConsumeRandomLengthString(400);
        // An empty character-string is legal but c-ares drops it; keep the
        // oracle exact by sending only non-empty ones.
        if (s.empty()) s = "x";
        joined += s;
        r.strings.push_back(std::move(s));
      }
      want_txt.push_back(std::move(joined));
      response.answers.push_back({owner, 60, r});
    }
  }
  const std::vector<uint8_t> wire =
      acmeva::dnswire::BuildResponse(query, response, 65535);
  auto parsed = ParseAnswer(wire, caa ? RRType::kCAA : RRType::kTXT);
  FUZZ_CHECK(parsed.ok(), "well-formed answer rejected: %s",
             std::string(parsed.status().message()).c_str());
  FUZZ_CHECK(parsed->rcode == 0 && !parsed->truncated &&
                 parsed->authenticated_data == response.ad,
             "header bits differ");
  FUZZ_CHECK(parsed->txt == want_txt, "TXT values differ (%zu vs %zu)",
             parsed->txt.size(), want_txt.size());
  FUZZ_CHECK(parsed->caa.size() == want_caa.size(), "CAA count %zu vs %zu",
             parsed->caa.size(), want_caa.size());
  for (size_t i = 0; i < want_caa.size(); ++i) {
    FUZZ_CHECK(parsed->caa[i].flags == want_caa[i].flags &&
                   parsed->caa[i].tag == want_caa[i].tag &&
                   parsed->caa[i].value == want_caa[i].value,
               "CAA record %zu differs", i);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  CheckRaw(absl::MakeConstSpan(data, size));
  FuzzedDataProvider fdp(data, size);
  CheckRoundTrip(fdp);
  return 0;
}
