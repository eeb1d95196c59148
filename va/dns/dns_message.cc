#include "va/dns/dns_message.h"

#include <ares.h>

#include <algorithm>
#include <memory>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace acmeva::va::dns {
namespace {

constexpr size_t kHeaderSize = 12;
constexpr uint16_t kClassIn = 1;
constexpr uint16_t kTypeOpt = 41;
constexpr size_t kMaxNameWireSize = 255;
constexpr size_t kMaxLabelSize = 63;
constexpr uint16_t kEdnsOptionEde = 15;  // RFC 8914

void PutU16(std::vector<uint8_t>& out, uint16_t value) {
  out.push_back(static_cast<uint8_t>(value >> 8));
  out.push_back(static_cast<uint8_t>(value & 0xff));
}

// Reads a DNS message front to back, with bounds checks everywhere.
class Reader {
 public:
  explicit Reader(absl::Span<const uint8_t> message) : msg_(message) {}

  size_t pos() const { return pos_; }
  bool Has(size_t n) const { return msg_.size() - pos_ >= n; }

  bool U8(uint8_t& out) {
    if (!Has(1)) return false;
    out = msg_[pos_++];
    return true;
  }
  bool U16(uint16_t& out) {
    if (!Has(2)) return false;
    out = static_cast<uint16_t>(msg_[pos_] << 8 | msg_[pos_ + 1]);
    pos_ += 2;
    return true;
  }
  bool U32(uint32_t& out) {
    uint16_t hi, lo;
    if (!U16(hi) || !U16(lo)) return false;
    out = static_cast<uint32_t>(hi) << 16 | lo;
    return true;
  }
  bool Skip(size_t n) {
    if (!Has(n)) return false;
    pos_ += n;
    return true;
  }
  // Skips an owner name: labels up to a root label or a compression
  // pointer. Owner names are not needed (the resolver followed CNAMEs and
  // c-ares matched the question), only where the name ends.
  bool SkipName() {
    size_t wire = 0;
    while (true) {
      uint8_t len;
      if (!U8(len)) return false;
      if ((len & 0xc0) == 0xc0) {
        uint8_t low;
        if (!U8(low)) return false;
        size_t target = static_cast<size_t>(len & 0x3f) << 8 | low;
        // A pointer must point at an earlier part of the message.
        return target < pos_ - 2;
      }
      if ((len & 0xc0) != 0) return false;  // obsolete label types
      if (len == 0) return true;
      wire += len + 1;
      if (wire > kMaxNameWireSize || !Skip(len)) return false;
    }
  }
  absl::Span<const uint8_t> Bytes(size_t n) {
    absl::Span<const uint8_t> out = msg_.subspan(pos_, n);
    pos_ += n;
    return out;
  }

 private:
  absl::Span<const uint8_t> msg_;
  size_t pos_ = 0;
};

absl::Status Malformed(absl::string_view what) {
  return absl::InvalidArgumentError(absl::StrCat("malformed answer: ", what));
}

// CAA RDATA (RFC 8659 §4.1): flags octet, tag length, tag, value. The value
// may be empty (`0 issue ""` forbids all issuance), which
// ares_parse_caa_reply would reject, so CAA is read here.
absl::Status ParseCaa(absl::Span<const uint8_t> rdata, CaaRecord& out) {
  if (rdata.size() < 2) return Malformed("CAA RDATA shorter than 2 octets");
  size_t tag_len = rdata[1];
  if (tag_len == 0 || 2 + tag_len > rdata.size()) {
    return Malformed("CAA tag length out of range");
  }
  out.flags = rdata[0];
  out.tag.assign(rdata.begin() + 2, rdata.begin() + 2 + tag_len);
  out.value.assign(rdata.begin() + 2 + tag_len, rdata.end());
  return absl::OkStatus();
}

// TXT RDATA: one or more <length><octets> character-strings.
absl::Status CheckTxt(absl::Span<const uint8_t> rdata) {
  if (rdata.empty()) return Malformed("empty TXT RDATA");
  size_t i = 0;
  while (i < rdata.size()) {
    i += 1 + rdata[i];
  }
  if (i != rdata.size()) return Malformed("TXT string overruns its RDATA");
  return absl::OkStatus();
}

// TXT values via c-ares: one entry per RR, its character-strings joined
// (record_start marks the first string of each RR).
absl::StatusOr<std::vector<std::string>> CaresTxt(
    absl::Span<const uint8_t> message) {
  ares_txt_ext* head = nullptr;
  int status = ares_parse_txt_reply_ext(
      message.data(), static_cast<int>(message.size()), &head);
  std::unique_ptr<ares_txt_ext, decltype(&ares_free_data)> owned(
      head, &ares_free_data);
  std::vector<std::string> out;
  if (status == ARES_ENODATA) return out;
  if (status != ARES_SUCCESS) {
    return Malformed(absl::StrCat("TXT: ", ares_strerror(status)));
  }
  for (ares_txt_ext* part = head; part != nullptr; part = part->next) {
    if (part->record_start || out.empty()) out.emplace_back();
    out.back().append(reinterpret_cast<const char*>(part->txt), part->length);
  }
  return out;
}

// The first Extended DNS Error option in an OPT RR's RDATA. Options that
// overrun the RDATA end the walk: EDE is advisory, never a reason to drop an
// answer whose rcode and records are fine.
void ReadEde(absl::Span<const uint8_t> rdata, ExtendedDnsError& out) {
  size_t i = 0;
  while (rdata.size() - i >= 4) {
    const uint16_t code = static_cast<uint16_t>(rdata[i] << 8 | rdata[i + 1]);
    const size_t len = static_cast<size_t>(rdata[i + 2] << 8 | rdata[i + 3]);
    i += 4;
    if (len > rdata.size() - i) return;
    if (code == kEdnsOptionEde && len >= 2) {
      out.code = rdata[i] << 8 | rdata[i + 1];
      const size_t text_len = std::min(len - 2, kMaxEdeTextSize);
      out.text.assign(rdata.begin() + i + 2, rdata.begin() + i + 2 + text_len);
      // Some resolvers NUL-terminate EXTRA-TEXT.
      while (!out.text.empty() && out.text.back() == '\0') out.text.pop_back();
      return;
    }
    i += len;
  }
}

}  // namespace

absl::string_view NormalizeName(absl::string_view name) {
  if (!name.empty() && name.back() == '.') name.remove_suffix(1);
  return name;
}

absl::Status ValidateQueryName(absl::string_view name) {
  if (name.empty()) return absl::OkStatus();  // the root
  size_t wire = 1;
  for (absl::string_view label : absl::StrSplit(name, '.')) {
    if (label.empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat("empty label in DNS name \"", name, "\""));
    }
    if (label.size() > kMaxLabelSize) {
      return absl::InvalidArgumentError(
          absl::StrCat("label longer than 63 octets in \"", name, "\""));
    }
    wire += label.size() + 1;
  }
  if (wire > kMaxNameWireSize) {
    return absl::InvalidArgumentError(
        absl::StrCat("DNS name longer than 255 octets: \"", name, "\""));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<uint8_t>> BuildQuery(absl::string_view name,
                                                RRType type,
                                                uint16_t edns_udp_size) {
  if (absl::Status s = ValidateQueryName(name); !s.ok()) return s;
  std::vector<uint8_t> out;
  out.reserve(kHeaderSize + name.size() + 2 + 4 + 11);
  PutU16(out, 0);       // ID: chosen by the sender
  PutU16(out, 0x0120);  // RD=1, AD=1
  PutU16(out, 1);       // QDCOUNT
  PutU16(out, 0);       // ANCOUNT
  PutU16(out, 0);       // NSCOUNT
  PutU16(out, 1);       // ARCOUNT: the OPT RR
  if (!name.empty()) {
    for (absl::string_view label : absl::StrSplit(name, '.')) {
      out.push_back(static_cast<uint8_t>(label.size()));
      out.insert(out.end(), label.begin(), label.end());
    }
  }
  out.push_back(0);
  PutU16(out, static_cast<uint16_t>(type));
  PutU16(out, kClassIn);
  // EDNS0 OPT RR (RFC 6891): root owner, CLASS = UDP payload size, TTL =
  // extended rcode 0, version 0, flags 0 (DO clear), no options.
  out.push_back(0);
  PutU16(out, kTypeOpt);
  PutU16(out, edns_udp_size);
  PutU16(out, 0);
  PutU16(out, 0);
  PutU16(out, 0);  // RDLEN
  return out;
}

absl::StatusOr<ParsedAnswer> ParseAnswer(absl::Span<const uint8_t> message,
                                         RRType type) {
  Reader r(message);
  uint16_t id, flags, qdcount, ancount, nscount, arcount;
  if (!r.U16(id) || !r.U16(flags) || !r.U16(qdcount) || !r.U16(ancount) ||
      !r.U16(nscount) || !r.U16(arcount)) {
    return Malformed("short header");
  }
  if ((flags & 0x8000) == 0) return Malformed("QR bit clear");
  if (((flags >> 11) & 0xf) != 0) return Malformed("opcode is not QUERY");
  if (qdcount != 1) return Malformed("QDCOUNT is not 1");
  ParsedAnswer out;
  out.truncated = (flags & 0x0200) != 0;
  out.authenticated_data = (flags & 0x0020) != 0;
  out.rcode = flags & 0xf;

  if (!r.SkipName() || !r.Skip(4)) return Malformed("bad question");

  int txt_rrs = 0;
  const int total = ancount + nscount + arcount;
  for (int i = 0; i < total; ++i) {
    uint16_t rr_type, rr_class, rdlen;
    uint32_t ttl;
    if (!r.SkipName() || !r.U16(rr_type) || !r.U16(rr_class) || !r.U32(ttl) ||
        !r.U16(rdlen) || !r.Has(rdlen)) {
      return Malformed(absl::StrCat("RR ", i, " overruns the message"));
    }
    absl::Span<const uint8_t> rdata = r.Bytes(rdlen);
    const bool in_answer = i < ancount;
    const bool in_additional = i >= ancount + nscount;
    if (in_answer && rr_class == kClassIn &&
        rr_type == static_cast<uint16_t>(type)) {
      if (type == RRType::kCAA) {
        CaaRecord caa;
        if (absl::Status s = ParseCaa(rdata, caa); !s.ok()) return s;
        out.caa.push_back(std::move(caa));
      } else if (type == RRType::kTXT) {
        if (absl::Status s = CheckTxt(rdata); !s.ok()) return s;
        ++txt_rrs;
      }
    }
    if (in_additional && rr_type == kTypeOpt) {
      // Extended rcode: the upper 8 bits live in the OPT TTL (RFC 6891).
      out.rcode |= static_cast<int>(ttl >> 24) << 4;
      if (!out.ede.present()) ReadEde(rdata, out.ede);
    }
  }

  if (type == RRType::kTXT && ancount > 0) {
    absl::StatusOr<std::vector<std::string>> txt = CaresTxt(message);
    if (!txt.ok()) return txt.status();
    // c-ares also accepts class CHAOS and drops empty RRs; disagreement
    // means an answer we should not trust.
    if (static_cast<int>(txt->size()) != txt_rrs) {
      return Malformed("TXT records disagree with the answer section");
    }
    out.txt = *std::move(txt);
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
