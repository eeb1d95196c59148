#include "dnstestsrv/wire.h"

#include <algorithm>
#include <cstring>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace acmeva::dnstestsrv {
namespace {

constexpr size_t kMaxLabelLength = 63;
// A name of at most 255 octets has at most 127 labels, so more pointer
// hops than that can only be an attack.
constexpr int kMaxPointerHops = 128;
constexpr uint16_t kOurUdpPayloadSize = 1232;  // DNS flag day 2020

absl::Status Malformed(absl::string_view what) {
  return absl::InvalidArgumentError(
      absl::StrCat("malformed DNS message: ", what));
}

uint16_t Get16(const uint8_t* p) {
  return static_cast<uint16_t>(p[0] << 8 | p[1]);
}
uint32_t Get32(const uint8_t* p) {
  return static_cast<uint32_t>(p[0]) << 24 | static_cast<uint32_t>(p[1]) << 16 |
         static_cast<uint32_t>(p[2]) << 8 | p[3];
}

void AppendLabelText(absl::string_view label, std::string* out) {
  for (unsigned char c : label) {
    if (c == '.' || c == '\\') {
      out->push_back('\\');
      out->push_back(static_cast<char>(c));
    } else if (c < 0x21 || c > 0x7e) {
      char buf[5] = {'\\', static_cast<char>('0' + c / 100),
                     static_cast<char>('0' + c / 10 % 10),
                     static_cast<char>('0' + c % 10), 0};
      out->append(buf, 4);
    } else {
      out->push_back(static_cast<char>(c));
    }
  }
}

// Splits a presentation-form name into wire labels, decoding escapes.
absl::Status NameToLabels(absl::string_view name,
                          std::vector<std::string>* labels) {
  labels->clear();
  if (name == "." || name.empty()) return absl::OkStatus();
  std::string label;
  size_t wire_length = 1;  // the root label
  size_t i = 0;
  auto finish_label = [&]() -> absl::Status {
    if (label.empty()) return absl::InvalidArgumentError("empty label in name");
    if (label.size() > kMaxLabelLength) {
      return absl::InvalidArgumentError("label longer than 63 octets in name");
    }
    wire_length += label.size() + 1;
    labels->push_back(std::move(label));
    label.clear();
    return absl::OkStatus();
  };
  while (i < name.size()) {
    char c = name[i];
    if (c == '.') {
      if (absl::Status s = finish_label(); !s.ok()) return s;
      ++i;
      if (i == name.size()) break;  // one trailing dot
      continue;
    }
    if (c == '\\') {
      if (i + 1 >= name.size()) {
        return absl::InvalidArgumentError("dangling escape in name");
      }
      if (absl::ascii_isdigit(static_cast<unsigned char>(name[i + 1]))) {
        if (i + 3 >= name.size()) {
          return absl::InvalidArgumentError("short \\DDD escape in name");
        }
        int value = 0;
        for (size_t k = 1; k <= 3; ++k) {
          unsigned char d = static_cast<unsigned char>(name[i + k]);
          if (!absl::ascii_isdigit(d)) {
            return absl::InvalidArgumentError("bad \\DDD escape in name");
          }
          value = value * 10 + (d - '0');
        }
        if (value > 255) {
          return absl::InvalidArgumentError("\\DDD escape over 255 in name");
        }
        label.push_back(static_cast<char>(value));
        i += 4;
      } else {
        label.push_back(name[i + 1]);
        i += 2;
      }
      continue;
    }
    label.push_back(c);
    ++i;
  }
  if (!label.empty()) {
    if (absl::Status s = finish_label(); !s.ok()) return s;
  }
  if (wire_length > kMaxNameLength) {
    return absl::InvalidArgumentError("name longer than 255 octets");
  }
  return absl::OkStatus();
}

// Builds a message with name compression. Suffixes match case-sensitively,
// so every name keeps the spelling it was given (a CNAME target is not
// re-cased to match the question).
class Writer {
 public:
  explicit Writer(size_t reserve) { buf_.reserve(reserve); }

  void U8(uint8_t v) { buf_.push_back(v); }
  void U16(uint16_t v) {
    buf_.push_back(static_cast<uint8_t>(v >> 8));
    buf_.push_back(static_cast<uint8_t>(v));
  }
  void U32(uint32_t v) {
    U16(static_cast<uint16_t>(v >> 16));
    U16(static_cast<uint16_t>(v));
  }
  void Bytes(absl::string_view b) {
    buf_.insert(buf_.end(), b.begin(), b.end());
  }
  void Set16(size_t at, uint16_t v) {
    buf_[at] = static_cast<uint8_t>(v >> 8);
    buf_[at + 1] = static_cast<uint8_t>(v);
  }
  size_t size() const { return buf_.size(); }
  std::vector<uint8_t> Take() { return std::move(buf_); }

  // Invalid names (which the store never holds) are written as the root.
  void Name(absl::string_view name) {
    if (!NameToLabels(name, &labels_).ok()) labels_.clear();
    for (size_t i = 0; i < labels_.size(); ++i) {
      std::string key = SuffixKey(i);
      for (const auto& [suffix, offset] : suffixes_) {
        if (suffix == key) {
          U16(static_cast<uint16_t>(0xC000 | offset));
          return;
        }
      }
      if (buf_.size() < 0x4000)
        suffixes_.emplace_back(std::move(key), buf_.size());
      U8(static_cast<uint8_t>(labels_[i].size()));
      Bytes(labels_[i]);
    }
    U8(0);
  }

 private:
  std::string SuffixKey(size_t from) const {
    std::string key;
    for (size_t i = from; i < labels_.size(); ++i) {
      key.push_back(static_cast<char>(labels_[i].size()));
      key.append(labels_[i]);
    }
    return key;
  }

  std::vector<uint8_t> buf_;
  std::vector<std::string> labels_;
  std::vector<std::pair<std::string, size_t>> suffixes_;
};

void WriteRecord(Writer& w, const ResourceRecord& rr) {
  w.Name(rr.name);
  w.U16(RecordType(rr.data));
  w.U16(kClassIN);
  w.U32(rr.ttl);
  size_t length_at = w.size();
  w.U16(0);
  size_t start = w.size();
  std::visit(
      [&w](const auto& d) {
        using T = std::decay_t<decltype(d)>;
        if constexpr (std::is_same_v<T, ARecord> ||
                      std::is_same_v<T, AaaaRecord>) {
          w.Bytes(
              absl::string_view(reinterpret_cast<const char*>(d.address.data()),
                                d.address.size()));
        } else if constexpr (std::is_same_v<T, CnameRecord>) {
          w.Name(d.target);
        } else if constexpr (std::is_same_v<T, TxtRecord>) {
          if (d.strings.empty()) w.U8(0);  // RDATA needs >= 1 string
          for (const std::string& s : d.strings) {
            size_t pos = 0;
            do {  // an empty string is one empty character-string
              size_t n = std::min<size_t>(255, s.size() - pos);
              w.U8(static_cast<uint8_t>(n));
              w.Bytes(absl::string_view(s).substr(pos, n));
              pos += n;
            } while (pos < s.size());
          }
        } else if constexpr (std::is_same_v<T, CaaRecord>) {
          w.U8(d.flags);
          w.U8(static_cast<uint8_t>(d.tag.size()));
          w.Bytes(d.tag);
          w.Bytes(d.value);
        } else if constexpr (std::is_same_v<T, SoaRecord>) {
          w.Name(d.mname);
          w.Name(d.rname);
          w.U32(d.serial);
          w.U32(d.refresh);
          w.U32(d.retry);
          w.U32(d.expire);
          w.U32(d.minimum);
        }
      },
      rr.data);
  w.Set16(length_at, static_cast<uint16_t>(w.size() - start));
}

void WriteHeader(Writer& w, const Header& h) {
  w.U16(h.id);
  w.U8(static_cast<uint8_t>((h.qr ? 0x80 : 0) | (h.opcode & 0xF) << 3 |
                            (h.aa ? 0x04 : 0) | (h.tc ? 0x02 : 0) |
                            (h.rd ? 0x01 : 0)));
  w.U8(static_cast<uint8_t>((h.ra ? 0x80 : 0) | (h.ad ? 0x20 : 0) |
                            (h.cd ? 0x10 : 0) | (h.rcode & 0xF)));
  w.U16(h.qdcount);
  w.U16(h.ancount);
  w.U16(h.nscount);
  w.U16(h.arcount);
}

std::vector<uint8_t> Serialize(const Query& query, const Response& response,
                               bool with_records) {
  Header h;
  h.id = query.header.id;
  h.qr = true;
  h.opcode = query.header.opcode;
  h.aa = response.aa;
  h.tc = response.tc || !with_records;
  h.rd = query.header.rd;
  h.ad = response.ad;
  h.cd = query.header.cd;
  h.rcode = response.rcode & 0xF;
  h.qdcount = 1;
  if (with_records) {
    h.ancount = static_cast<uint16_t>(response.answers.size());
    h.nscount = static_cast<uint16_t>(response.authority.size());
  }
  h.arcount = query.has_edns ? 1 : 0;
  Writer w(512);
  WriteHeader(w, h);
  w.Name(query.qname);
  w.U16(query.qtype);
  w.U16(query.qclass);
  if (with_records) {
    for (const ResourceRecord& rr : response.answers) WriteRecord(w, rr);
    for (const ResourceRecord& rr : response.authority) WriteRecord(w, rr);
  }
  if (query.has_edns) {
    w.U8(0);  // root name
    w.U16(kTypeOPT);
    w.U16(kOurUdpPayloadSize);
    w.U8(static_cast<uint8_t>(response.rcode >> 4));  // extended rcode
    w.U8(0);                                          // version
    w.U16(query.dnssec_ok ? 0x8000 : 0);              // DO echoed (RFC 3225)
    w.U16(0);
  }
  return w.Take();
}

// Reads one resource record's fixed part; `*offset` moves past it.
struct RawRecord {
  std::string name;
  uint16_t type;
  uint16_t rclass;
  uint32_t ttl;
  size_t rdata_offset;
  uint16_t rdlength;
};

absl::StatusOr<RawRecord> ReadRecord(const uint8_t* data, size_t size,
                                     size_t* offset) {
  RawRecord rr;
  absl::StatusOr<std::string> name = ReadName(data, size, *offset, offset);
  if (!name.ok()) return name.status();
  rr.name = *std::move(name);
  if (size - *offset < 10) return Malformed("truncated record");
  const uint8_t* p = data + *offset;
  rr.type = Get16(p);
  rr.rclass = Get16(p + 2);
  rr.ttl = Get32(p + 4);
  rr.rdlength = Get16(p + 8);
  rr.rdata_offset = *offset + 10;
  if (size - rr.rdata_offset < rr.rdlength) return Malformed("truncated RDATA");
  *offset = rr.rdata_offset + rr.rdlength;
  return rr;
}

absl::StatusOr<RecordData> DecodeRdata(const uint8_t* data, size_t size,
                                       const RawRecord& rr) {
  const uint8_t* p = data + rr.rdata_offset;
  size_t n = rr.rdlength;
  size_t end = rr.rdata_offset + n;
  switch (rr.type) {
    case kTypeA: {
      if (n != 4) return Malformed("A RDATA is not 4 octets");
      ARecord a;
      std::memcpy(a.address.data(), p, 4);
      return a;
    }
    case kTypeAAAA: {
      if (n != 16) return Malformed("AAAA RDATA is not 16 octets");
      AaaaRecord a;
      std::memcpy(a.address.data(), p, 16);
      return a;
    }
    case kTypeCNAME: {
      size_t name_end;
      absl::StatusOr<std::string> t =
          ReadName(data, size, rr.rdata_offset, &name_end);
      if (!t.ok()) return t.status();
      if (name_end != end) return Malformed("CNAME RDATA length mismatch");
      return CnameRecord{*std::move(t)};
    }
    case kTypeTXT: {
      TxtRecord t;
      size_t i = 0;
      while (i < n) {
        size_t len = p[i];
        if (n - i - 1 < len) return Malformed("TXT string overruns RDATA");
        t.strings.emplace_back(reinterpret_cast<const char*>(p + i + 1), len);
        i += 1 + len;
      }
      return t;
    }
    case kTypeCAA: {
      if (n < 2) return Malformed("short CAA RDATA");
      CaaRecord c;
      c.flags = p[0];
      size_t tag_len = p[1];
      if (n - 2 < tag_len) return Malformed("CAA tag overruns RDATA");
      c.tag.assign(reinterpret_cast<const char*>(p + 2), tag_len);
      c.value.assign(reinterpret_cast<const char*>(p + 2 + tag_len),
                     n - 2 - tag_len);
      return c;
    }
    case kTypeSOA: {
      SoaRecord s;
      size_t at = rr.rdata_offset;
      absl::StatusOr<std::string> m = ReadName(data, size, at, &at);
      if (!m.ok()) return m.status();
      absl::StatusOr<std::string> r = ReadName(data, size, at, &at);
      if (!r.ok()) return r.status();
      if (end < at || end - at != 20)
        return Malformed("SOA RDATA length mismatch");
      s.mname = *std::move(m);
      s.rname = *std::move(r);
      s.serial = Get32(data + at);
      s.refresh = Get32(data + at + 4);
      s.retry = Get32(data + at + 8);
      s.expire = Get32(data + at + 12);
      s.minimum = Get32(data + at + 16);
      return s;
    }
    default:
      return absl::NotFoundError("type not decoded");
  }
}

}  // namespace

std::string RRTypeToString(uint16_t type) {
  switch (type) {
    case kTypeA:
      return "A";
    case kTypeNS:
      return "NS";
    case kTypeCNAME:
      return "CNAME";
    case kTypeSOA:
      return "SOA";
    case kTypeMX:
      return "MX";
    case kTypeTXT:
      return "TXT";
    case kTypeAAAA:
      return "AAAA";
    case kTypeOPT:
      return "OPT";
    case kTypeANY:
      return "ANY";
    case kTypeCAA:
      return "CAA";
    default:
      return absl::StrCat("TYPE", type);
  }
}

std::optional<uint16_t> RRTypeFromString(absl::string_view text) {
  std::string upper = absl::AsciiStrToUpper(text);
  static constexpr uint16_t kKnown[] = {
      kTypeA,   kTypeNS,   kTypeCNAME, kTypeSOA, kTypeMX,
      kTypeTXT, kTypeAAAA, kTypeOPT,   kTypeANY, kTypeCAA};
  for (uint16_t t : kKnown) {
    if (RRTypeToString(t) == upper) return t;
  }
  absl::string_view digits = upper;
  if (absl::StartsWith(digits, "TYPE")) digits.remove_prefix(4);
  uint32_t n;
  if (!digits.empty() && absl::SimpleAtoi(digits, &n) && n <= 0xFFFF &&
      std::all_of(digits.begin(), digits.end(), [](char c) {
        return absl::ascii_isdigit(static_cast<unsigned char>(c));
      })) {
    return static_cast<uint16_t>(n);
  }
  return std::nullopt;
}

std::optional<Header> ParseHeader(const uint8_t* data, size_t size) {
  if (data == nullptr || size < kHeaderSize) return std::nullopt;
  Header h;
  h.id = Get16(data);
  h.qr = data[2] & 0x80;
  h.opcode = (data[2] >> 3) & 0xF;
  h.aa = data[2] & 0x04;
  h.tc = data[2] & 0x02;
  h.rd = data[2] & 0x01;
  h.ra = data[3] & 0x80;
  h.ad = data[3] & 0x20;
  h.cd = data[3] & 0x10;
  h.rcode = data[3] & 0xF;
  h.qdcount = Get16(data + 4);
  h.ancount = Get16(data + 6);
  h.nscount = Get16(data + 8);
  h.arcount = Get16(data + 10);
  return h;
}

absl::StatusOr<std::string> ReadName(const uint8_t* data, size_t size,
                                     size_t offset, size_t* end) {
  std::string out;
  size_t pos = offset;
  // Every pointer must go strictly before the start of the segment that
  // contains it, so positions strictly decrease and loops are impossible.
  size_t segment_start = offset;
  size_t wire_length = 1;
  int hops = 0;
  bool jumped = false;
  while (true) {
    if (pos >= size) return Malformed("name runs past the end");
    uint8_t len = data[pos];
    if ((len & 0xC0) == 0xC0) {
      if (pos + 1 >= size) return Malformed("truncated compression pointer");
      size_t target = static_cast<size_t>(len & 0x3F) << 8 | data[pos + 1];
      if (target >= segment_start) {
        return Malformed("compression pointer does not point backwards");
      }
      if (++hops > kMaxPointerHops)
        return Malformed("too many compression pointers");
      if (!jumped) *end = pos + 2;
      jumped = true;
      pos = target;
      segment_start = target;
      continue;
    }
    if ((len & 0xC0) != 0) return Malformed("reserved label type");
    if (len == 0) {
      if (!jumped) *end = pos + 1;
      return out;
    }
    if (size - pos - 1 < len) return Malformed("label runs past the end");
    wire_length += len + 1;
    if (wire_length > kMaxNameLength)
      return Malformed("name longer than 255 octets");
    if (!out.empty()) out.push_back('.');
    AppendLabelText(
        absl::string_view(reinterpret_cast<const char*>(data + pos + 1), len),
        &out);
    pos += 1 + len;
  }
}

absl::StatusOr<Query> ParseQuery(const uint8_t* data, size_t size) {
  std::optional<Header> header = ParseHeader(data, size);
  if (!header) return Malformed("shorter than a header");
  if (header->qr) return Malformed("QR set: not a query");
  if (header->qdcount != 1) return Malformed("qdcount is not 1");
  Query q;
  q.header = *header;
  size_t offset = kHeaderSize;
  absl::StatusOr<std::string> name = ReadName(data, size, offset, &offset);
  if (!name.ok()) return name.status();
  q.qname = *std::move(name);
  if (size - offset < 4) return Malformed("truncated question");
  q.qtype = Get16(data + offset);
  q.qclass = Get16(data + offset + 2);
  offset += 4;
  size_t records = size_t{header->ancount} + header->nscount + header->arcount;
  for (size_t i = 0; i < records; ++i) {
    absl::StatusOr<RawRecord> rr = ReadRecord(data, size, &offset);
    if (!rr.ok()) return rr.status();
    bool additional = i >= size_t{header->ancount} + header->nscount;
    if (rr->type != kTypeOPT) continue;
    if (!additional || !rr->name.empty())
      return Malformed("misplaced OPT record");
    if (q.has_edns) return Malformed("more than one OPT record");
    q.has_edns = true;
    q.udp_payload_size = std::max<uint16_t>(rr->rclass, kClassicUdpSize);
    q.edns_version = static_cast<uint8_t>(rr->ttl >> 16);
    q.dnssec_ok = rr->ttl & 0x8000;
  }
  return q;
}

std::string CanonicalName(absl::string_view name) {
  std::vector<std::string> labels;
  if (!NameToLabels(name, &labels).ok()) {
    // Not a valid name, so it matches nothing stored; keep it recognizable.
    if (!name.empty() && name.back() == '.') name.remove_suffix(1);
    return absl::AsciiStrToLower(name);
  }
  std::string out;
  for (const std::string& label : labels) {
    if (!out.empty()) out.push_back('.');
    AppendLabelText(absl::AsciiStrToLower(label), &out);
  }
  return out;
}

absl::Status ValidateName(absl::string_view name) {
  std::vector<std::string> labels;
  return NameToLabels(name, &labels);
}

uint16_t RecordType(const RecordData& data) {
  static constexpr uint16_t kTypes[] = {kTypeA,   kTypeAAAA, kTypeCNAME,
                                        kTypeTXT, kTypeCAA,  kTypeSOA};
  return kTypes[data.index()];
}

std::vector<uint8_t> BuildResponse(const Query& query, const Response& response,
                                   size_t max_size) {
  std::vector<uint8_t> full = Serialize(query, response, true);
  if (full.size() <= max_size) return full;
  return Serialize(query, response, false);
}

std::vector<uint8_t> BuildErrorResponse(const Header& query_header,
                                        uint8_t rcode) {
  Header h;
  h.id = query_header.id;
  h.qr = true;
  h.opcode = query_header.opcode;
  h.rd = query_header.rd;
  h.rcode = rcode;
  Writer w(kHeaderSize);
  WriteHeader(w, h);
  return w.Take();
}

std::vector<uint8_t> BuildQuery(uint16_t id, absl::string_view name,
                                uint16_t qtype, bool rd,
                                std::optional<uint16_t> edns_udp_size) {
  Header h;
  h.id = id;
  h.rd = rd;
  h.qdcount = 1;
  h.arcount = edns_udp_size ? 1 : 0;
  Writer w(64);
  WriteHeader(w, h);
  w.Name(name);
  w.U16(qtype);
  w.U16(kClassIN);
  if (edns_udp_size) {
    w.U8(0);
    w.U16(kTypeOPT);
    w.U16(*edns_udp_size);
    w.U32(0);
    w.U16(0);
  }
  return w.Take();
}

absl::StatusOr<ParsedMessage> ParseMessage(const uint8_t* data, size_t size) {
  std::optional<Header> header = ParseHeader(data, size);
  if (!header) return Malformed("shorter than a header");
  if (header->qdcount > 1) return Malformed("more than one question");
  ParsedMessage m;
  m.header = *header;
  size_t offset = kHeaderSize;
  if (header->qdcount == 1) {
    absl::StatusOr<std::string> name = ReadName(data, size, offset, &offset);
    if (!name.ok()) return name.status();
    m.qname = *std::move(name);
    if (size - offset < 4) return Malformed("truncated question");
    m.qtype = Get16(data + offset);
    offset += 4;
  }
  const uint16_t counts[] = {header->ancount, header->nscount, header->arcount};
  std::vector<ParsedRecord>* sections[] = {&m.answers, &m.authority,
                                           &m.additional};
  for (int s = 0; s < 3; ++s) {
    for (uint16_t i = 0; i < counts[s]; ++i) {
      absl::StatusOr<RawRecord> rr = ReadRecord(data, size, &offset);
      if (!rr.ok()) return rr.status();
      ParsedRecord pr;
      pr.name = rr->name;
      pr.type = rr->type;
      pr.rclass = rr->rclass;
      pr.ttl = rr->ttl;
      pr.rdata.assign(data + rr->rdata_offset,
                      data + rr->rdata_offset + rr->rdlength);
      absl::StatusOr<RecordData> decoded = DecodeRdata(data, size, *rr);
      if (decoded.ok()) {
        pr.data = *std::move(decoded);
      } else if (!absl::IsNotFound(decoded.status())) {
        return decoded.status();
      }
      sections[s]->push_back(std::move(pr));
    }
  }
  if (offset != size) return Malformed("trailing bytes");
  return m;
}

}  // namespace acmeva::dnstestsrv
