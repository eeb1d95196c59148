#include "va/dns/resolver.h"

namespace acmeva::va::dns {

std::string_view OutcomeName(Outcome outcome) {
  switch (outcome) {
    case Outcome::kNoError:
      return "noerror";
    case Outcome::kNxDomain:
      return "nxdomain";
    case Outcome::kServFail:
      return "servfail";
    case Outcome::kRefused:
      return "refused";
    case Outcome::kFormErr:
      return "formerr";
    case Outcome::kNotImp:
      return "notimp";
    case Outcome::kOtherRcode:
      return "rcode";
    case Outcome::kTimeout:
      return "timeout";
    case Outcome::kNetwork:
      return "network";
    case Outcome::kTruncated:
      return "truncated";
    case Outcome::kMalformed:
      return "malformed";
    case Outcome::kDeadline:
      return "deadline";
    case Outcome::kBudget:
      return "budget";
    case Outcome::kCanceled:
      return "canceled";
    case Outcome::kBadName:
      return "badname";
  }
  return "unknown";
}

bool IsTransient(Outcome outcome) {
  switch (outcome) {
    case Outcome::kServFail:
    case Outcome::kRefused:
    case Outcome::kTimeout:
    case Outcome::kNetwork:
    case Outcome::kTruncated:
    case Outcome::kMalformed:
    case Outcome::kDeadline:
    case Outcome::kBudget:
    case Outcome::kCanceled:
      return true;
    default:
      return false;
  }
}

}  // namespace acmeva::va::dns
