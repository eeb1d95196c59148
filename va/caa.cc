#include "va/caa.h"

#include <algorithm>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "va/caa_params.h"

namespace acmeva::va {
namespace {

// The relevant RRset split the way the decision needs it (Boulder's
// filterCAA).
struct FilteredCaa {
  std::vector<const dns::CaaRecord*> issue;
  std::vector<const dns::CaaRecord*> issuewild;
  bool critical_unknown = false;
};

FilteredCaa Filter(const std::vector<dns::CaaRecord>& records) {
  FilteredCaa out;
  for (const dns::CaaRecord& record : records) {
    const std::string tag = absl::AsciiStrToLower(record.tag);
    if (tag == "issue") {
      out.issue.push_back(&record);
    } else if (tag == "issuewild") {
      out.issuewild.push_back(&record);
    } else if (tag == "iodef" || tag == "issuemail" || tag == "issuevmc") {
      // Recognized but not about this CA's TLS issuance: ignored even when
      // marked critical.
    } else if ((record.flags & 0x81) != 0) {
      // 128 is the issuer-critical bit; 1 is a widespread misreading of it
      // that Boulder honors too, so it forbids as well.
      out.critical_unknown = true;
    }
  }
  return out;
}

bool RecordAuthorizes(const dns::CaaRecord& record, const CaaConfig& config,
                      const CaaRequest& request) {
  absl::StatusOr<CaaIssueValue> value = ParseCaaIssueValue(record.value);
  // A malformed value is like an empty issuer domain: it authorizes nobody.
  if (!value.ok()) return false;
  return value->issuer_domain == config.issuer_domain &&
         CaaAccountUriMatches(*value, config.account_uri_prefixes,
                              request.account_id) &&
         CaaValidationMethodMatches(*value, request.method);
}

// Whether the relevant RRset permits issuance (RFC 8659 §4, RFC 8657).
bool Permits(const std::vector<dns::CaaRecord>& relevant, bool wildcard,
             const CaaConfig& config, const CaaRequest& request) {
  const FilteredCaa filtered = Filter(relevant);
  if (filtered.critical_unknown) return false;
  // issuewild matters only for a wildcard, and then replaces issue entirely.
  const std::vector<const dns::CaaRecord*>& records =
      wildcard && !filtered.issuewild.empty() ? filtered.issuewild
                                              : filtered.issue;
  // Only iodef, non-critical unknown tags, or issuewild for a non-wildcard:
  // nothing restricts issuance.
  if (records.empty()) return true;
  for (const dns::CaaRecord* record : records) {
    if (RecordAuthorizes(*record, config, request)) return true;
  }
  return false;
}

// NXDOMAIN below the TLD is an empty set: users delete their _acme-challenge
// names and whole subdomains between validation and a CAA recheck. A TLD
// that does not exist is something wrong on our side (Boulder #7104).
bool IsFailure(const dns::LookupResult& result) {
  if (result.outcome == dns::Outcome::kNxDomain) {
    return result.name.find('.') == std::string::npos;
  }
  return !result.ok();
}

CaaResult Decide(const std::vector<dns::LookupResult>& results, bool wildcard,
                 const CaaConfig& config, const CaaRequest& request) {
  CaaResult out;
  // Every lookup was sent, so every try counts and every resolver was asked.
  for (const dns::LookupResult& result : results) {
    out.attempts += result.attempts;
    if (!result.resolver.empty() &&
        std::find(out.resolvers.begin(), out.resolvers.end(),
                  result.resolver) == out.resolvers.end()) {
      out.resolvers.push_back(result.resolver);
    }
  }
  const std::string prefix =
      absl::StrCat("While processing CAA for ", request.identifier, ": ");
  // Walk up from the full name. The decision rests on every lookup up to
  // and including the one that ends the walk; answers above it are unused.
  bool all_authenticated = true;
  for (const dns::LookupResult& result : results) {
    if (IsFailure(result)) {
      // Fail closed: the failed lookup may have hidden a forbidding set.
      out.problem = WithDetailPrefix(DnsProblem(result), prefix);
      return out;
    }
    all_authenticated = all_authenticated && result.authenticated_data;
    if (!result.caa.empty()) {
      out.present = true;
      out.found_at = result.name;
      out.authenticated_data = all_authenticated;
      if (!Permits(result.caa, wildcard, config, request)) {
        out.problem = CaaProblem(absl::StrCat(
            prefix, "CAA record for ", out.found_at, " prevents issuance"));
      }
      return out;
    }
  }
  out.authenticated_data = all_authenticated;  // no CAA anywhere: permitted
  return out;
}

// Joins the parallel lookups; the last callback to arrive decides.
class CaaLookupJoin {
 public:
  CaaLookupJoin(std::vector<std::string> names, bool wildcard, CaaConfig config,
                CaaRequest request, absl::AnyInvocable<void(CaaResult) &&> done)
      : names_(std::move(names)),
        wildcard_(wildcard),
        config_(std::move(config)),
        request_(std::move(request)),
        done_(std::move(done)),
        results_(names_.size()),
        pending_(names_.size()) {}

  const std::vector<std::string>& names() const { return names_; }

  void Deliver(size_t index, dns::LookupResult result) {
    // The decision and the texts use the name we asked for, whatever the
    // resolver filled in.
    result.name = names_[index];
    result.type = dns::RRType::kCAA;
    std::vector<dns::LookupResult> complete;
    {
      std::lock_guard<std::mutex> lock(mu_);
      // A resolver that calls back twice must not finish the join early.
      if (results_[index].has_value() || pending_ == 0) return;
      results_[index] = std::move(result);
      if (--pending_ > 0) return;
      complete.reserve(results_.size());
      for (auto& r : results_) complete.push_back(std::move(*r));
    }
    // Only the last caller gets here, exactly once; run `done` unlocked so
    // it may start new lookups.
    std::move(done_)(Decide(complete, wildcard_, config_, request_));
  }

 private:
  const std::vector<std::string> names_;
  const bool wildcard_;
  const CaaConfig config_;
  const CaaRequest request_;
  absl::AnyInvocable<void(CaaResult) &&> done_;  // used by the last caller

  // std::mutex rather than absl::Mutex: Debian's libabsl is not built with
  // ThreadSanitizer annotations, so TSAN could not check this join.
  std::mutex mu_;
  std::vector<std::optional<dns::LookupResult>> results_;  // guarded by mu_
  size_t pending_;                                         // guarded by mu_
};

}  // namespace

void CheckCaa(dns::Resolver& resolver, const CaaConfig& config,
              CaaRequest request, absl::Time deadline,
              absl::AnyInvocable<void(CaaResult) &&> done) {
  std::string hostname = absl::AsciiStrToLower(request.identifier);
  bool wildcard = false;
  if (absl::StartsWith(hostname, "*.")) {
    hostname.erase(0, 2);
    wildcard = true;
  }
  while (!hostname.empty() && hostname.back() == '.') hostname.pop_back();

  const std::vector<std::string> labels = absl::StrSplit(hostname, '.');
  for (const std::string& label : labels) {
    if (label.empty()) {
      // Identifiers are validated before any check runs; never query a name
      // with an empty label (or the root).
      Problem problem;
      problem.type = ProblemType::kMalformed;
      problem.detail = absl::StrCat("While processing CAA for ",
                                    request.identifier, ": invalid DNS name");
      CaaResult result;
      result.problem = std::move(problem);
      std::move(done)(std::move(result));
      return;
    }
  }

  // Every suffix, the TLD included, in parallel: the relevant set is the
  // nearest non-empty one, and a slow parent must not serialize the walk.
  std::vector<std::string> names;
  for (size_t i = 0; i < labels.size(); ++i) {
    names.push_back(absl::StrJoin(labels.begin() + i, labels.end(), "."));
  }
  auto join = std::make_shared<CaaLookupJoin>(
      std::move(names), wildcard, config, std::move(request), std::move(done));
  for (size_t i = 0; i < join->names().size(); ++i) {
    // Lookup may call back synchronously, so nothing is locked here.
    resolver.Lookup(join->names()[i], dns::RRType::kCAA, deadline,
                    [join, i](dns::LookupResult result) {
                      join->Deliver(i, std::move(result));
                    });
  }
}

}  // namespace acmeva::va
