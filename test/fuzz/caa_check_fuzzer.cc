// Fuzzes the whole CAA decision (va::CheckCaa): an identifier, the outcome
// and CAA RRset of every name up the tree, the account and the validation
// method all come from the input. A synchronous in-process resolver answers.
//
// The invariants are the ones that matter for a CA: the callback runs
// exactly once; a failed lookup of the name itself fails closed; issuance is
// permitted only by a set that names this CA (or restricts nothing); no CAA
// anywhere permits.
#include <fuzzer/FuzzedDataProvider.h>

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "test/fuzz/fuzz_check.h"
#include "va/caa.h"
#include "va/caa_params.h"
#include "va/identifier.h"

namespace {

constexpr char kIssuer[] = "ca.example";

class TableResolver : public acmeva::va::dns::Resolver {
 public:
  std::map<std::string, acmeva::va::dns::LookupResult> table;
  int lookups = 0;

  void Lookup(std::string name, acmeva::va::dns::RRType type, absl::Time,
              acmeva::va::dns::LookupCallback done) override {
    ++lookups;
    FUZZ_CHECK(type == acmeva::va::dns::RRType::kCAA, "non-CAA lookup");
    acmeva::va::dns::LookupResult r;
    auto it = table.find(name);
    if (it != table.end()) r = it->second;
    r.name = name;
    r.type = type;
    r.attempts = 1;
    r.resolver = "127.0.0.1:53";
    std::move(done)(std::move(r));
  }
};

std::string PickLabel(FuzzedDataProvider& fdp) {
  static const char* const kLabels[] = {"example",       "com", "sub", "www",
                                        "xn--bcher-kva", "org", "a-b", "9"};
  if (fdp.ConsumeBool()) return kLabels[fdp.ConsumeIntegralInRange(0, 7)];
  return fdp.ConsumeRandomLengthString(10);
}

std::string PickTag(FuzzedDataProvider& fdp) {
  static const char* const kTags[] = {"issue", "issuewild", "iodef",
                                      "ISSUE", "IssueWild", "tbs"};
  if (fdp.ConsumeIntegralInRange(0, 7) < 6) {
    return kTags[fdp.ConsumeIntegralInRange(0, 5)];
  }
  return fdp.ConsumeRandomLengthString(12);
}

std::string PickValue(FuzzedDataProvider& fdp) {
  static const char* const kValues[] = {
      "ca.example",
      "ca.example; accounturi=https://acme.example/acct/7",
      "ca.example; validationmethods=dns-01",
      "ca.example; validationmethods=http-01,tls-alpn-01",
      "other.example",
      ";",
      "",
      " ca.example ; AccountURI=https://acme.example/acct/8"};
  if (fdp.ConsumeIntegralInRange(0, 9) < 8) {
    return kValues[fdp.ConsumeIntegralInRange(0, 7)];
  }
  return fdp.ConsumeRandomLengthString(60);
}

bool Names(const acmeva::va::dns::CaaRecord& r, std::string_view tag) {
  return absl::AsciiStrToLower(r.tag) == tag;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  FuzzedDataProvider fdp(data, size);
  const bool add_wildcard = fdp.ConsumeBool();
  std::vector<std::string> labels(fdp.ConsumeIntegralInRange(2, 4));
  for (std::string& label : labels) label = PickLabel(fdp);
  const std::string joined = absl::StrJoin(labels, ".");
  const std::string identifier = add_wildcard ? "*." + joined : joined;
  // The service validates identifiers before CheckCaa; do the same.
  if (!acmeva::va::ValidateDnsName(identifier, true, "identifier").ok())
    return 0;
  // A picked label may be "*" or contain dots: work from the validated name.
  const bool wildcard = absl::StartsWith(identifier, "*.");
  const std::string base = wildcard ? identifier.substr(2) : identifier;

  TableResolver resolver;
  const std::vector<std::string> real_labels = absl::StrSplit(base, '.');
  std::vector<std::string> suffixes;
  for (size_t i = 0; i < real_labels.size(); ++i) {
    std::vector<std::string> tail(real_labels.begin() + i, real_labels.end());
    suffixes.push_back(absl::StrJoin(tail, "."));
  }
  for (const std::string& name : suffixes) {
    acmeva::va::dns::LookupResult r;
    // Mostly NOERROR, sometimes each of the other outcomes.
    const int outcome = fdp.ConsumeIntegralInRange(0, 20);
    r.outcome = outcome <= static_cast<int>(acmeva::va::dns::Outcome::kBadName)
                    ? static_cast<acmeva::va::dns::Outcome>(outcome)
                    : acmeva::va::dns::Outcome::kNoError;
    r.authenticated_data = fdp.ConsumeBool();
    if (r.ok()) {
      const int records = fdp.ConsumeIntegralInRange(0, 4);
      for (int k = 0; k < records; ++k) {
        acmeva::va::dns::CaaRecord c;
        c.flags = fdp.ConsumeBool() ? 0 : fdp.ConsumeIntegral<uint8_t>();
        c.tag = PickTag(fdp);
        c.value = PickValue(fdp);
        r.caa.push_back(std::move(c));
      }
    }
    resolver.table[name] = r;
  }

  acmeva::va::CaaConfig config;
  config.issuer_domain = kIssuer;
  config.account_uri_prefixes = {"https://acme.example/acct/"};
  static const char* const kMethods[] = {"dns-01", "http-01", "tls-alpn-01"};
  acmeva::va::CaaRequest request{identifier,
                                 kMethods[fdp.ConsumeIntegralInRange(0, 2)],
                                 fdp.ConsumeIntegralInRange<int64_t>(1, 9)};

  int calls = 0;
  std::optional<acmeva::va::CaaResult> result;
  acmeva::va::CheckCaa(resolver, config, request,
                       absl::Now() + absl::Seconds(5),
                       [&](acmeva::va::CaaResult r) {
                         ++calls;
                         result = std::move(r);
                       });
  FUZZ_CHECK(calls == 1, "callback ran %d times", calls);
  FUZZ_CHECK(resolver.lookups == static_cast<int>(suffixes.size()),
             "%d lookups for %zu names", resolver.lookups, suffixes.size());
  FUZZ_CHECK(result->attempts == resolver.lookups, "attempts %d",
             result->attempts);
  if (result->problem) {
    FUZZ_CHECK(absl::StartsWith(result->problem->detail,
                                "While processing CAA for " + identifier),
               "detail \"%s\" does not name the identifier",
               result->problem->detail.c_str());
  }

  // Walk up as RFC 8659 §3 says, independently of the code under test.
  const acmeva::va::dns::LookupResult* relevant = nullptr;
  bool failed = false;
  for (const std::string& name : suffixes) {
    const acmeva::va::dns::LookupResult& r = resolver.table[name];
    const bool nx_below_tld =
        r.outcome == acmeva::va::dns::Outcome::kNxDomain &&
        name.find('.') != std::string::npos;
    if (!r.ok() && !nx_below_tld) {
      failed = true;
      break;
    }
    if (!r.caa.empty()) {
      relevant = &r;
      break;
    }
  }
  if (failed) {
    FUZZ_CHECK(result->problem.has_value(), "a failed lookup failed open");
    return 0;
  }
  if (relevant == nullptr) {
    FUZZ_CHECK(!result->problem.has_value() && !result->present,
               "no CAA anywhere, yet: %s",
               result->problem ? result->problem->detail.c_str() : "present");
    return 0;
  }
  FUZZ_CHECK(result->present, "relevant set not reported present");
  if (result->problem) return 0;  // forbidding is always safe

  // Permitted: check it was allowed to be.
  std::vector<const acmeva::va::dns::CaaRecord*> issue, issuewild;
  for (const acmeva::va::dns::CaaRecord& c : relevant->caa) {
    if (Names(c, "issue")) {
      issue.push_back(&c);
    } else if (Names(c, "issuewild")) {
      issuewild.push_back(&c);
    } else if (!Names(c, "iodef") && !Names(c, "issuemail") &&
               !Names(c, "issuevmc")) {
      FUZZ_CHECK((c.flags & 0x80) == 0,
                 "permitted despite critical unknown tag \"%s\"",
                 c.tag.c_str());
    }
  }
  const auto& applicable = wildcard && !issuewild.empty() ? issuewild : issue;
  if (applicable.empty()) return 0;
  bool names_us = false;
  for (const acmeva::va::dns::CaaRecord* c : applicable) {
    auto v = acmeva::va::ParseCaaIssueValue(c->value);
    names_us = names_us || (v.ok() && v->issuer_domain == kIssuer);
  }
  FUZZ_CHECK(names_us, "permitted by a set that does not name %s", kIssuer);
  return 0;
}
