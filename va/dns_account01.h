// The dns-account-01 challenge (draft-ietf-acme-dns-account-label, CA/B BR
// 3.2.2.4.21): dns-01's TXT value at an account-specific name,
// _<label>._acme-challenge.<name>, so several accounts (or ACME clients) can
// hold challenges for one name at once.
#ifndef VA_DNS_ACCOUNT01_H_
#define VA_DNS_ACCOUNT01_H_

#include <string>
#include <string_view>

#include "va/challenge.h"

namespace acmeva::va {

// Lower-case base32 (RFC 4648 alphabet) of the first 10 bytes of
// SHA-256(account_uri): always 16 characters, no padding.
std::string AccountLabel(std::string_view account_uri);

// "_<label>._acme-challenge.<hostname>" (hostname without "*.").
std::string DnsAccount01Name(std::string_view account_uri,
                             std::string_view hostname);

const ChallengeValidator& DnsAccount01Validator();

}  // namespace acmeva::va

#endif  // VA_DNS_ACCOUNT01_H_
