#include "dnswire/message.h"

#include <algorithm>
#include <cstring>
#include <type_traits>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace acmeva::dnswire {
namespace {

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

// ReadName and CheckName: decodes into `out` when it is not null.
absl::Status WalkName(const uint8_t* data, size_t size, size_t offset,
                      size_t* end, std::string* out) {
  size_t pos = offset;
  // Every pointer must go strictly before the start of the segment that
  // contains it, so positions strictly decrease and loops are impossible.
  size_t segment_start = offset;
  size_t wire_length = 1;
  int hops = 0;
  bool jumped = false;
  while (true) {
    if (pos >= size) return Malformed("name runs past the end");
    const uint8_t len = data[pos];
    if ((len & 0xC0) == 0xC0) {
      if (pos + 1 >= size) return Malformed("truncated compression pointer");
      const size_t target =
          static_cast<size_t>(len & 0x3F) << 8 | data[pos + 1];
      if (target >= segment_start) {
        return Malformed("compression pointer does not point backwards");
      }
      if (++hops > kMaxPointerHops) {
        return Malformed("too many compression pointers");
      }
      if (!jumped) *end = pos + 2;
      jumped = true;
      pos = target;
      segment_start = target;
      continue;
    }
    if ((len & 0xC0) != 0) return Malformed("reserved label type");
    if (len == 0) {
      if (!jumped) *end = pos + 1;
      return absl::OkStatus();
    }
    if (size - pos - 1 < len) return Malformed("label runs past the end");
    wire_length += len + 1;
    if (wire_length > kMaxNameLength) {
      return Malformed("name longer than 255 octets");
    }
    if (out != nullptr) {
      if (!out->empty()) out->push_back('.');
      AppendLabelText(
          absl::string_view(reinterpret_cast<const char*>(data + pos + 1), len),
          out);
    }
    pos += 1 + len;
  }
}

// Builds a message. With compression, suffixes match case-sensitively, so
// every name keeps the spelling it was given (a CNAME target is not
// re-cased to match the question).
class Writer {
 public:
  Writer(size_t reserve, bool compress) : compress_(compress) {
    buf_.reserve(reserve);
  }

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

  // Invalid names (which callers validate first) are written as the root.
  void Name(absl::string_view name,
            NameSyntax syntax = NameSyntax::kPresentation) {
    if (!compress_) {
      const size_t start = buf_.size();
      const absl::Status s =
          ForEachLabel(name, syntax, [this](absl::string_view label) {
            U8(static_cast<uint8_t>(label.size()));
            Bytes(label);
          });
      if (!s.ok()) buf_.resize(start);
      U8(0);
      return;
    }
    // The uncompressed labels, then the longest suffix already written.
    wire_.clear();
    starts_.clear();
    const absl::Status s =
        ForEachLabel(name, syntax, [this](absl::string_view label) {
          starts_.push_back(wire_.size());
          wire_.push_back(static_cast<char>(label.size()));
          wire_.append(label.data(), label.size());
        });
    if (!s.ok()) starts_.clear();
    for (size_t i = 0; i < starts_.size(); ++i) {
      const absl::string_view key = absl::string_view(wire_).substr(starts_[i]);
      for (const auto& [suffix, offset] : suffixes_) {
        if (suffix == key) {
          U16(static_cast<uint16_t>(0xC000 | offset));
          return;
        }
      }
      if (buf_.size() < 0x4000) suffixes_.emplace_back(key, buf_.size());
      const size_t end = i + 1 < starts_.size() ? starts_[i + 1] : wire_.size();
      Bytes(absl::string_view(wire_).substr(starts_[i], end - starts_[i]));
    }
    U8(0);
  }

 private:
  const bool compress_;
  std::vector<uint8_t> buf_;
  std::string wire_;            // the name being written, uncompressed
  std::vector<size_t> starts_;  // where each of its labels starts
  std::vector<std::pair<std::string, size_t>> suffixes_;
};

void WriteRecord(Writer& w, const ResourceRecord& rr) {
  w.Name(rr.name);
  w.U16(static_cast<uint16_t>(RecordType(rr.data)));
  w.U16(kClassIN);
  w.U32(rr.ttl);
  const size_t length_at = w.size();
  w.U16(0);
  const size_t start = w.size();
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
              const size_t n = std::min<size_t>(255, s.size() - pos);
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

// An OPT RR (RFC 6891 §6.1.2): root owner, CLASS = UDP payload size, TTL =
// extended rcode, version 0 and flags (DO), no options.
void WriteOpt(Writer& w, uint16_t udp_size, uint8_t extended_rcode,
              bool dnssec_ok) {
  w.U8(0);
  w.U16(static_cast<uint16_t>(RRType::kOPT));
  w.U16(udp_size);
  w.U8(extended_rcode);
  w.U8(0);  // version
  w.U16(dnssec_ok ? 0x8000 : 0);
  w.U16(0);  // RDLENGTH
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
  h.ra = response.ra;
  h.ad = response.ad;
  h.cd = query.header.cd;
  h.rcode = response.rcode & 0xF;
  h.qdcount = 1;
  if (with_records) {
    h.ancount = static_cast<uint16_t>(response.answers.size());
    h.nscount = static_cast<uint16_t>(response.authority.size());
  }
  h.arcount = query.has_edns ? 1 : 0;
  Writer w(512, /*compress=*/true);
  WriteHeader(w, h);
  w.Name(query.qname);
  w.U16(static_cast<uint16_t>(query.qtype));
  w.U16(query.qclass);
  if (with_records) {
    for (const ResourceRecord& rr : response.answers) WriteRecord(w, rr);
    for (const ResourceRecord& rr : response.authority) WriteRecord(w, rr);
  }
  if (query.has_edns) {
    // DO echoed (RFC 3225).
    WriteOpt(w, kOurUdpPayloadSize, static_cast<uint8_t>(response.rcode >> 4),
             query.dnssec_ok);
  }
  return w.Take();
}

absl::StatusOr<RecordData> DecodeRdata(const uint8_t* data, size_t size,
                                       const RecordHeader& rr) {
  const uint8_t* p = data + rr.rdata_offset;
  const size_t n = rr.rdlength;
  const size_t end = rr.rdata_offset + n;
  switch (rr.type) {
    case RRType::kA: {
      if (n != 4) return Malformed("A RDATA is not 4 octets");
      ARecord a;
      std::memcpy(a.address.data(), p, 4);
      return a;
    }
    case RRType::kAAAA: {
      if (n != 16) return Malformed("AAAA RDATA is not 16 octets");
      AaaaRecord a;
      std::memcpy(a.address.data(), p, 16);
      return a;
    }
    case RRType::kCNAME: {
      size_t name_end;
      absl::StatusOr<std::string> t =
          ReadName(data, size, rr.rdata_offset, &name_end);
      if (!t.ok()) return t.status();
      if (name_end != end) return Malformed("CNAME RDATA length mismatch");
      return CnameRecord{*std::move(t)};
    }
    case RRType::kTXT: {
      TxtRecord t;
      const absl::Status s = ForEachCharacterString(
          absl::MakeConstSpan(p, n),
          [&t](absl::string_view text) { t.strings.emplace_back(text); });
      if (!s.ok()) return s;
      return t;
    }
    case RRType::kCAA: {
      CaaRecord c;
      const absl::Status s = DecodeCaa(absl::MakeConstSpan(p, n), &c);
      if (!s.ok()) return s;
      return c;
    }
    case RRType::kSOA: {
      SoaRecord s;
      size_t at = rr.rdata_offset;
      absl::StatusOr<std::string> m = ReadName(data, size, at, &at);
      if (!m.ok()) return m.status();
      absl::StatusOr<std::string> r = ReadName(data, size, at, &at);
      if (!r.ok()) return r.status();
      if (end < at || end - at != 20) {
        return Malformed("SOA RDATA length mismatch");
      }
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
  if (absl::Status s = WalkName(data, size, offset, end, &out); !s.ok()) {
    return s;
  }
  return out;
}

absl::Status CheckName(const uint8_t* data, size_t size, size_t offset,
                       size_t* end) {
  return WalkName(data, size, offset, end, nullptr);
}

bool SkipName(const uint8_t* data, size_t size, size_t* offset) {
  size_t pos = *offset;
  size_t wire_length = 1;
  while (pos < size) {
    const uint8_t len = data[pos];
    if ((len & 0xC0) == 0xC0) {
      if (pos + 1 >= size) return false;
      const size_t target =
          static_cast<size_t>(len & 0x3F) << 8 | data[pos + 1];
      *offset = pos + 2;
      return target < pos;  // an earlier part of the message
    }
    if ((len & 0xC0) != 0) return false;  // obsolete label types
    if (len == 0) {
      *offset = pos + 1;
      return true;
    }
    wire_length += len + 1;
    if (wire_length > kMaxNameLength || size - pos - 1 < len) return false;
    pos += 1 + len;
  }
  return false;
}

absl::Status ForEachCharacterString(
    absl::Span<const uint8_t> rdata,
    absl::FunctionRef<void(absl::string_view)> string) {
  size_t i = 0;
  while (i < rdata.size()) {
    const size_t len = rdata[i];
    if (rdata.size() - i - 1 < len) {
      return Malformed("TXT string overruns RDATA");
    }
    string(absl::string_view(
        reinterpret_cast<const char*>(rdata.data() + i + 1), len));
    i += 1 + len;
  }
  return absl::OkStatus();
}

absl::Status DecodeCaa(absl::Span<const uint8_t> rdata, CaaRecord* out) {
  if (rdata.size() < 2) return Malformed("short CAA RDATA");
  const size_t tag_len = rdata[1];
  if (rdata.size() - 2 < tag_len) return Malformed("CAA tag overruns RDATA");
  out->flags = rdata[0];
  out->tag.assign(rdata.begin() + 2, rdata.begin() + 2 + tag_len);
  out->value.assign(rdata.begin() + 2 + tag_len, rdata.end());
  return absl::OkStatus();
}

void ForEachEdnsOption(
    absl::Span<const uint8_t> rdata,
    absl::FunctionRef<bool(uint16_t code, absl::Span<const uint8_t> data)>
        option) {
  size_t i = 0;
  while (rdata.size() - i >= 4) {
    const uint16_t code = Get16(rdata.data() + i);
    const size_t len = Get16(rdata.data() + i + 2);
    i += 4;
    if (len > rdata.size() - i) return;
    if (!option(code, rdata.subspan(i, len))) return;
    i += len;
  }
}

absl::StatusOr<RecordHeader> ReadRecordHeader(const uint8_t* data, size_t size,
                                              size_t* offset) {
  if (size - *offset < 10) return Malformed("truncated record");
  const uint8_t* p = data + *offset;
  RecordHeader rr;
  rr.type = static_cast<RRType>(Get16(p));
  rr.rclass = Get16(p + 2);
  rr.ttl = Get32(p + 4);
  rr.rdlength = Get16(p + 8);
  rr.rdata_offset = *offset + 10;
  if (size - rr.rdata_offset < rr.rdlength) return Malformed("truncated RDATA");
  *offset = rr.rdata_offset + rr.rdlength;
  return rr;
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
  q.qtype = static_cast<RRType>(Get16(data + offset));
  q.qclass = Get16(data + offset + 2);
  offset += 4;
  const size_t records =
      size_t{header->ancount} + header->nscount + header->arcount;
  for (size_t i = 0; i < records; ++i) {
    absl::StatusOr<std::string> owner = ReadName(data, size, offset, &offset);
    if (!owner.ok()) return owner.status();
    absl::StatusOr<RecordHeader> rr = ReadRecordHeader(data, size, &offset);
    if (!rr.ok()) return rr.status();
    const bool additional = i >= size_t{header->ancount} + header->nscount;
    if (rr->type != RRType::kOPT) continue;
    if (!additional || !owner->empty()) {
      return Malformed("misplaced OPT record");
    }
    if (q.has_edns) return Malformed("more than one OPT record");
    q.has_edns = true;
    q.udp_payload_size = std::max<uint16_t>(rr->rclass, kClassicUdpSize);
    q.edns_version = static_cast<uint8_t>(rr->ttl >> 16);
    q.dnssec_ok = rr->ttl & 0x8000;
  }
  return q;
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
  Writer w(kHeaderSize, /*compress=*/false);
  WriteHeader(w, h);
  return w.Take();
}

std::vector<uint8_t> BuildQuery(uint16_t id, absl::string_view name,
                                RRType qtype, const QueryOptions& options) {
  Header h;
  h.id = id;
  h.rd = options.rd;
  h.ad = options.ad;
  h.qdcount = 1;
  h.arcount = options.edns_udp_size ? 1 : 0;
  Writer w(kHeaderSize + name.size() + 2 + 4 + 11, /*compress=*/false);
  WriteHeader(w, h);
  w.Name(name, options.syntax);
  w.U16(static_cast<uint16_t>(qtype));
  w.U16(kClassIN);
  if (options.edns_udp_size) {
    WriteOpt(w, *options.edns_udp_size, 0, false);
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
    m.qtype = static_cast<RRType>(Get16(data + offset));
    offset += 4;
  }
  const uint16_t counts[] = {header->ancount, header->nscount, header->arcount};
  std::vector<ParsedRecord>* sections[] = {&m.answers, &m.authority,
                                           &m.additional};
  for (int s = 0; s < 3; ++s) {
    for (uint16_t i = 0; i < counts[s]; ++i) {
      ParsedRecord pr;
      absl::StatusOr<std::string> name = ReadName(data, size, offset, &offset);
      if (!name.ok()) return name.status();
      absl::StatusOr<RecordHeader> rr = ReadRecordHeader(data, size, &offset);
      if (!rr.ok()) return rr.status();
      pr.name = *std::move(name);
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

}  // namespace acmeva::dnswire
