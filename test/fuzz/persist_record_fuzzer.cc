// Fuzzes the dns-persist-01 record parser (va/persist_record.h) and the
// decision over a TXT answer (EvaluatePersistTxt). The record comes straight
// from a domain owner's zone, so it is fully attacker-controlled.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "test/fuzz/fuzz_check.h"
#include "va/dns_persist01.h"
#include "va/persist_record.h"

namespace {

bool IsValueChar(char c) {
  const unsigned char u = static_cast<unsigned char>(c);
  return (u >= 0x21 && u <= 0x3A) || (u >= 0x3C && u <= 0x7E);
}

bool IsNormalizedName(const std::string& name) {
  if (name.empty() || name.size() > 253 || name.back() == '.') return false;
  for (char c : name) {
    if (!(absl::ascii_islower(static_cast<unsigned char>(c)) ||
          absl::ascii_isdigit(static_cast<unsigned char>(c)) || c == '-' ||
          c == '.')) {
      return false;
    }
  }
  return true;
}

// The canonical text of a parsed record; parsing it must give the same.
std::string Serialize(const acmeva::va::PersistRecord& r) {
  std::string out =
      absl::StrCat(r.issuer, "; accounturi=", r.params.account_uri);
  if (!r.params.policy.empty())
    absl::StrAppend(&out, "; policy=", r.params.policy);
  if (r.params.persist_until) {
    absl::StrAppend(&out, "; persistUntil=", *r.params.persist_until);
  }
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string input(reinterpret_cast<const char*>(data), size);
  const acmeva::va::PersistRecord r = acmeva::va::ParsePersistRecord(input);
  FUZZ_CHECK(r.issuer.empty() || IsNormalizedName(r.issuer),
             "issuer \"%s\" is not normalized", r.issuer.c_str());
  const absl::Time now = absl::FromUnixSeconds(1767225600);

  if (!r.ok()) {
    FUZZ_CHECK(r.params.account_uri.empty(), "params kept on error");
  } else {
    FUZZ_CHECK(!r.issuer.empty(), "parsed without an issuer");
    FUZZ_CHECK(!r.params.account_uri.empty(), "parsed without accounturi");
    for (char c : r.params.account_uri + r.params.policy) {
      FUZZ_CHECK(IsValueChar(c), "value byte 0x%02x",
                 static_cast<unsigned char>(c));
    }
    const std::string canonical = Serialize(r);
    const acmeva::va::PersistRecord again =
        acmeva::va::ParsePersistRecord(canonical);
    FUZZ_CHECK(again.ok() && again.issuer == r.issuer &&
                   again.params.account_uri == r.params.account_uri &&
                   again.params.policy == r.params.policy &&
                   again.params.persist_until == r.params.persist_until,
               "canonical form \"%s\" parses differently", canonical.c_str());
    // Its own account, not a wildcard, before persistUntil: authorizes.
    const bool live = !r.params.persist_until ||
                      absl::FromUnixSeconds(*r.params.persist_until) >= now;
    const auto mismatch =
        acmeva::va::PersistMismatch(r.params, r.params.account_uri, false, now);
    FUZZ_CHECK(mismatch.has_value() != live, "persistUntil decision wrong");
    // Any other account never matches.
    FUZZ_CHECK(acmeva::va::PersistMismatch(r.params, r.params.account_uri + "x",
                                           false, now)
                   .has_value(),
               "another account matched");
  }

  // The whole decision over an answer holding this record: valid only when
  // it parsed for our issuer and matches.
  acmeva::va::dns::LookupResult lookup;
  lookup.txt = {input};
  const std::string issuer = r.issuer.empty() ? "ca.example" : r.issuer;
  const std::string account =
      r.ok() ? r.params.account_uri : "https://ca.example/acct/1";
  const acmeva::va::DcvResult result = acmeva::va::EvaluatePersistTxt(
      lookup, "example.com", issuer, account, /*wildcard=*/false, now);
  if (!result.problem) {
    FUZZ_CHECK(r.ok() && r.issuer == issuer, "authorized by a bad record");
  } else {
    FUZZ_CHECK(!result.problem->detail.empty(), "problem without detail");
  }
  return 0;
}
