#include "va/dns/dns_message.h"

#include <algorithm>
#include <optional>

#include "absl/strings/str_cat.h"
#include "dnswire/message.h"

namespace acmeva::va::dns {
namespace {

absl::Status Malformed(absl::string_view what) {
  return absl::InvalidArgumentError(absl::StrCat("malformed answer: ", what));
}

// The first Extended DNS Error option in an OPT RR's RDATA. Options that
// overrun the RDATA end the walk: EDE is advisory, never a reason to drop an
// answer whose rcode and records are fine.
void ReadEde(absl::Span<const uint8_t> rdata, ExtendedDnsError& out) {
  dnswire::ForEachEdnsOption(
      rdata, [&out](uint16_t code, absl::Span<const uint8_t> data) {
        if (code != dnswire::kEdnsOptionEde || data.size() < 2) return true;
        out.code = data[0] << 8 | data[1];
        const size_t text_len = std::min(data.size() - 2, kMaxEdeTextSize);
        out.text.assign(data.begin() + 2, data.begin() + 2 + text_len);
        // Some resolvers NUL-terminate EXTRA-TEXT.
        while (!out.text.empty() && out.text.back() == '\0') {
          out.text.pop_back();
        }
        return false;
      });
}

// TXT RDATA: one or more character-strings, joined.
absl::Status AppendTxt(absl::Span<const uint8_t> rdata,
                       std::vector<std::string>& out) {
  if (rdata.empty()) return Malformed("empty TXT RDATA");
  std::string joined;
  if (!dnswire::ForEachCharacterString(rdata, [&joined](absl::string_view s) {
         joined.append(s.data(), s.size());
       }).ok()) {
    return Malformed("TXT string overruns its RDATA");
  }
  out.push_back(std::move(joined));
  return absl::OkStatus();
}

// CAA RDATA (RFC 8659 §4.1). The value may be empty (`0 issue ""` forbids
// all issuance); the tag may not.
absl::Status AppendCaa(absl::Span<const uint8_t> rdata,
                       std::vector<CaaRecord>& out) {
  CaaRecord& caa = out.emplace_back();
  if (!dnswire::DecodeCaa(rdata, &caa).ok() || caa.tag.empty()) {
    return Malformed("CAA tag length out of range");
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status ValidateQueryName(absl::string_view name) {
  return dnswire::ValidateName(name, dnswire::NameSyntax::kOctets);
}

absl::StatusOr<std::vector<uint8_t>> BuildQuery(absl::string_view name,
                                                RRType type,
                                                uint16_t edns_udp_size) {
  if (absl::Status s = ValidateQueryName(name); !s.ok()) return s;
  return dnswire::BuildQuery(0, name, type,
                             {.rd = true,
                              .ad = true,
                              .edns_udp_size = edns_udp_size,
                              .syntax = dnswire::NameSyntax::kOctets});
}

absl::StatusOr<ParsedAnswer> ParseAnswer(absl::Span<const uint8_t> message,
                                         RRType type) {
  const uint8_t* data = message.data();
  const size_t size = message.size();
  const std::optional<dnswire::Header> header =
      dnswire::ParseHeader(data, size);
  if (!header) return Malformed("short header");
  if (!header->qr) return Malformed("QR bit clear");
  if (header->opcode != 0) return Malformed("opcode is not QUERY");
  if (header->qdcount != 1) return Malformed("QDCOUNT is not 1");
  ParsedAnswer out;
  out.truncated = header->tc;
  out.authenticated_data = header->ad;
  out.rcode = header->rcode;

  // Owner names are not needed (the resolver followed CNAMEs and c-ares
  // matched the question), only where they end. A TXT answer's question and
  // answer owners are decoded in full, as c-ares's TXT parser (which the VA
  // used until the codec was merged) did.
  const bool txt = type == RRType::kTXT && header->ancount > 0;
  auto name_ok = [&](bool full, size_t& offset) {
    return full ? dnswire::CheckName(data, size, offset, &offset).ok()
                : dnswire::SkipName(data, size, &offset);
  };
  size_t offset = dnswire::kHeaderSize;
  if (!name_ok(txt, offset) || size - offset < 4) {
    return Malformed("bad question");
  }
  offset += 4;

  const int ancount = header->ancount;
  const int total = ancount + header->nscount + header->arcount;
  for (int i = 0; i < total; ++i) {
    const bool in_answer = i < ancount;
    if (!name_ok(txt && in_answer, offset)) {
      return Malformed(absl::StrCat("RR ", i, " overruns the message"));
    }
    absl::StatusOr<dnswire::RecordHeader> rr =
        dnswire::ReadRecordHeader(data, size, &offset);
    if (!rr.ok()) {
      return Malformed(absl::StrCat("RR ", i, " overruns the message"));
    }
    const absl::Span<const uint8_t> rdata =
        message.subspan(rr->rdata_offset, rr->rdlength);
    if (in_answer && rr->type == type) {
      if (rr->rclass == dnswire::kClassIN) {
        absl::Status s = absl::OkStatus();
        if (type == RRType::kCAA) s = AppendCaa(rdata, out.caa);
        if (type == RRType::kTXT) s = AppendTxt(rdata, out.txt);
        if (!s.ok()) return s;
      } else if (type == RRType::kTXT && rr->rclass == dnswire::kClassCH) {
        // c-ares's TXT parser took class CHAOS too; an answer that mixes
        // it in is not one to trust.
        return Malformed("TXT records disagree with the answer section");
      }
    }
    if (i >= ancount + header->nscount && rr->type == RRType::kOPT) {
      // Extended rcode: the upper 8 bits live in the OPT TTL (RFC 6891).
      out.rcode |= static_cast<int>(rr->ttl >> 24) << 4;
      if (!out.ede.present()) ReadEde(rdata, out.ede);
    }
  }
  return out;
}

Outcome OutcomeForRcode(int rcode) {
  switch (rcode) {
    case 0:
      return Outcome::kNoError;
    case 1:
      return Outcome::kFormErr;
    case 2:
      return Outcome::kServFail;
    case 3:
      return Outcome::kNxDomain;
    case 4:
      return Outcome::kNotImp;
    case 5:
      return Outcome::kRefused;
    default:
      return Outcome::kOtherRcode;
  }
}

}  // namespace acmeva::va::dns
