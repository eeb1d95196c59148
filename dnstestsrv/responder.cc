#include "dnstestsrv/responder.h"

#include <utility>

#include "absl/strings/ascii.h"

namespace acmeva::dnstestsrv {
namespace {

using ::acmeva::dnswire::BuildErrorResponse;
using ::acmeva::dnswire::BuildResponse;
using ::acmeva::dnswire::CnameRecord;
using ::acmeva::dnswire::Header;
using ::acmeva::dnswire::kClassicUdpSize;
using ::acmeva::dnswire::kClassIN;
using ::acmeva::dnswire::kFormErr;
using ::acmeva::dnswire::kNotImp;
using ::acmeva::dnswire::kNxDomain;
using ::acmeva::dnswire::kRefused;
using ::acmeva::dnswire::kServFail;
using ::acmeva::dnswire::ParseHeader;
using ::acmeva::dnswire::ParseQuery;
using ::acmeva::dnswire::Query;
using ::acmeva::dnswire::ResourceRecord;
using ::acmeva::dnswire::Response;
using ::acmeva::dnswire::RRType;
using ::acmeva::dnswire::SoaRecord;

constexpr uint8_t kBadVers = 16;  // extended rcode, RFC 6891

// Index just past the start of the label `count` labels from the end,
// honouring "\." escapes.
size_t LabelStartFromEnd(absl::string_view name, int count) {
  int dots = 0;
  for (size_t i = name.size(); i > 0; --i) {
    if (name[i - 1] != '.') continue;
    size_t backslashes = 0;
    for (size_t j = i - 1; j > 0 && name[j - 1] == '\\'; --j) ++backslashes;
    if (backslashes % 2 == 1) continue;  // escaped dot
    if (++dots == count) return i;
  }
  return 0;
}

template <typename T>
void AppendAll(const std::vector<T>& records, const std::string& owner,
               uint32_t ttl, std::vector<ResourceRecord>* out) {
  for (const T& r : records) out->push_back(ResourceRecord{owner, ttl, r});
}

}  // namespace

std::string SoaOwner(absl::string_view canonical_name) {
  return std::string(
      canonical_name.substr(LabelStartFromEnd(canonical_name, 2)));
}

Responder::Responder(const RecordStore* store, FaultTable* faults,
                     RequestHistory* history, ResponderOptions options)
    : store_(store),
      faults_(faults),
      history_(history),
      options_(std::move(options)) {}

ResourceRecord Responder::Soa(absl::string_view name) const {
  SoaRecord soa;
  soa.mname = options_.soa_mname;
  soa.rname = options_.soa_rname;
  soa.minimum = options_.ttl;
  return ResourceRecord{SoaOwner(name), options_.ttl, std::move(soa)};
}

Response Responder::Resolve(const Query& query,
                            const std::string& canonical) const {
  Response response;
  bool authenticated = true;
  std::string current = canonical;
  // The first owner is spelled as asked so it compresses to the question.
  std::string owner = query.qname;
  for (int hop = 0; hop <= options_.max_cname_chain; ++hop) {
    std::shared_ptr<const NameRecords> entry = store_->FindCanonical(current);
    if (entry == nullptr) {
      // Unknown name (or dangling CNAME): NOERROR, no data, SOA, like the
      // Pebble/Boulder servers (they never say NXDOMAIN on their own).
      response.authority.push_back(Soa(current));
      response.ad = false;
      return response;
    }
    authenticated = authenticated && entry->authenticated;
    response.ad = authenticated;
    if (entry->servfail) {
      Response failed;
      failed.rcode = kServFail;
      return failed;
    }
    if (entry->nxdomain) {
      response.rcode = kNxDomain;
      response.authority.push_back(Soa(current));
      return response;
    }
    if (entry->cname.has_value()) {
      response.answers.push_back(
          ResourceRecord{owner, options_.ttl, CnameRecord{*entry->cname}});
      if (query.qtype == RRType::kCNAME) return response;
      current = *entry->cname;
      owner = current;
      continue;
    }
    const size_t before = response.answers.size();
    const RRType t = query.qtype;
    if (t == RRType::kA || t == RRType::kANY) {
      AppendAll(entry->a, owner, options_.ttl, &response.answers);
    }
    if (t == RRType::kAAAA || t == RRType::kANY) {
      AppendAll(entry->aaaa, owner, options_.ttl, &response.answers);
    }
    if (t == RRType::kTXT || t == RRType::kANY) {
      AppendAll(entry->txt, owner, options_.ttl, &response.answers);
    }
    if (t == RRType::kCAA || t == RRType::kANY) {
      AppendAll(entry->caa, owner, options_.ttl, &response.answers);
    }
    if (response.answers.size() == before) {
      response.authority.push_back(Soa(current));  // NODATA
    }
    return response;
  }
  // A CNAME chain longer than we follow (or a loop).
  Response failed;
  failed.rcode = kServFail;
  return failed;
}

Reply Responder::Handle(const uint8_t* data, size_t size, Transport transport,
                        absl::string_view client) const {
  Reply reply;
  absl::StatusOr<Query> parsed = ParseQuery(data, size);
  if (!parsed.ok()) {
    std::optional<Header> header = ParseHeader(data, size);
    // Never answer a response: that could start a packet loop.
    if (!header.has_value() || header->qr) {
      reply.drop = true;
    } else {
      reply.bytes = BuildErrorResponse(*header, kFormErr);
    }
    return reply;
  }
  const Query& query = *parsed;
  const size_t max_size =
      transport == Transport::kTcp
          ? 65535
          : std::min(options_.max_udp_size, query.has_edns
                                                ? size_t{query.udp_payload_size}
                                                : kClassicUdpSize);
  std::string canonical = absl::AsciiStrToLower(query.qname);
  std::optional<FaultHit> fault;
  Response response;
  if (query.header.opcode != 0) {
    response.rcode = kNotImp;
    response.aa = false;
  } else if (query.has_edns && query.edns_version != 0) {
    response.rcode = kBadVers;
    response.aa = false;
  } else if (query.qclass != kClassIN) {
    response.rcode = kRefused;
    response.aa = false;
  } else {
    fault = faults_->Match(canonical, query.qtype, transport);
    if (!fault.has_value() || fault->mode == FaultMode::kDelay) {
      response = Resolve(query, canonical);
    } else {
      switch (fault->mode) {
        case FaultMode::kDrop:
          reply.drop = true;
          break;
        case FaultMode::kServfail:
          response.rcode = kServFail;
          break;
        case FaultMode::kRefused:
          response.rcode = kRefused;
          response.aa = false;
          break;
        case FaultMode::kNxdomain:
          response.rcode = kNxDomain;
          response.authority.push_back(Soa(canonical));
          break;
        case FaultMode::kTruncate:
          response.tc = true;
          break;
        case FaultMode::kDelay:
          break;
      }
    }
    if (fault.has_value()) reply.delay = fault->delay;
  }
  if (history_ != nullptr) {
    history_->Record(RequestEvent{
        absl::Now(), query.qname, std::move(canonical), query.qtype,
        query.qclass, transport,
        fault.has_value() ? std::string(FaultModeName(fault->mode)) : "",
        std::string(client)});
  }
  if (!reply.drop) reply.bytes = BuildResponse(query, response, max_size);
  return reply;
}

}  // namespace acmeva::dnstestsrv
