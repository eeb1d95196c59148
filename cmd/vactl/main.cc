// vactl: command-line client of the RA. Prints one ACME-shaped JSON object
// per command; exits 0 when the RPC worked, whatever the authorization's
// status, and non-zero with a message on stderr otherwise.
//
//   vactl --ra host:port new-authz example.com --account 1 [--wildcard]
//   vactl --ra host:port validate ID --key-authorization KA | --thumbprint T
//         [--challenge dns-01|dns-account-01|dns-persist-01]
//   vactl --ra host:port txt ID --thumbprint T --challenge TYPE
//         [--issuer-domain D] [--account-uri-prefix P]
//     prints the TXT record {name, value} a subscriber publishes for TYPE
//   vactl --ra host:port get ID
//   vactl --ra host:port wait ID [--timeout 60s]
#include <grpcpp/grpcpp.h>

#include <cstdio>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "common/cli.h"
#include "common/grpc_tls.h"
#include "common/json_log.h"
#include "common/tls_flags.h"
#include "proto/ra.grpc.pb.h"
#include "ra/acme_json.h"
#include "va/challenge_registry.h"

namespace common = acmeva::common;

ABSL_FLAG(std::string, ra, "127.0.0.1:9094", "RA address host:port");
ABSL_FLAG(std::string, server_name, "",
          "name expected in the RA's certificate (default: the host part)");
ABSL_FLAG(int64_t, account, 0, "new-authz: the ACME account ID");
ABSL_FLAG(bool, wildcard, false, "new-authz: authorization for *.<name>");
ABSL_FLAG(std::string, key_authorization, "",
          "validate: token \".\" base64url(JWK thumbprint)");
ABSL_FLAG(std::string, thumbprint, "",
          "validate: base64url SHA-256 JWK thumbprint (the RA adds the token)");
ABSL_FLAG(std::string, challenge, "dns-01",
          "validate, txt: the offered challenge type to answer");
ABSL_FLAG(std::string, issuer_domain, "",
          "txt: the CA's issuer domain (dns-persist-01)");
ABSL_FLAG(std::string, account_uri_prefix, "",
          "txt: the VA's first --account-uri-prefixes entry "
          "(dns-account-01, dns-persist-01)");
ABSL_FLAG(absl::Duration, timeout, absl::Seconds(60),
          "wait: how long to wait for a final status");
ABSL_FLAG(absl::Duration, rpc_timeout, absl::Seconds(10),
          "deadline of the other RPCs");

namespace {

constexpr char kUsage[] =
    "vactl [--ra host:port] (--plaintext | --tls-cert F --tls-key F "
    "--tls-ca F) COMMAND\n"
    "  new-authz NAME --account N [--wildcard]\n"
    "  validate ID (--key-authorization KA | --thumbprint T) "
    "[--challenge TYPE]\n"
    "  txt ID --thumbprint T [--challenge TYPE] [--issuer-domain D] "
    "[--account-uri-prefix P]\n"
    "  get ID\n"
    "  wait ID [--timeout 60s]";

int Usage(const std::string& problem) {
  std::fprintf(stderr, "vactl: %s\nusage: %s\n", problem.c_str(), kUsage);
  return 2;
}

bool ParseId(const std::string& text, int64_t* id) {
  return absl::SimpleAtoi(text, id) && *id > 0;
}

std::string CodeName(grpc::StatusCode code) {
  static const char* const kNames[] = {"OK",
                                       "CANCELLED",
                                       "UNKNOWN",
                                       "INVALID_ARGUMENT",
                                       "DEADLINE_EXCEEDED",
                                       "NOT_FOUND",
                                       "ALREADY_EXISTS",
                                       "PERMISSION_DENIED",
                                       "RESOURCE_EXHAUSTED",
                                       "FAILED_PRECONDITION",
                                       "ABORTED",
                                       "OUT_OF_RANGE",
                                       "UNIMPLEMENTED",
                                       "INTERNAL",
                                       "UNAVAILABLE",
                                       "DATA_LOSS",
                                       "UNAUTHENTICATED"};
  const int i = static_cast<int>(code);
  if (i >= 0 && i < static_cast<int>(std::size(kNames))) return kNames[i];
  return absl::StrCat("code ", i);
}

}  // namespace

int main(int argc, char** argv) {
  common::SetUsage(kUsage);
  common::NormalizedArgs args(argc, argv);  // --dashed-names as documented
  std::vector<char*> positional =
      absl::ParseCommandLine(args.argc(), args.argv());
  if (positional.size() < 3) return Usage("missing command or argument");
  const std::string command = positional[1];
  const std::string argument = positional[2];
  if (positional.size() > 3) return Usage("too many arguments");

  common::FlagChecks checks;
  checks.Positive(FLAGS_timeout).Positive(FLAGS_rpc_timeout);
  if (absl::Status s = checks.status(); !s.ok()) {
    return Usage(std::string(s.message()));
  }
  common::TlsFiles tls = common::TlsFilesFromFlags();
  tls.server_name_override = absl::GetFlag(FLAGS_server_name);
  auto credentials = common::MakeChannelCredentials(tls);
  if (!credentials.ok()) {
    std::fprintf(stderr, "vactl: %s\n",
                 credentials.status().ToString().c_str());
    return 2;
  }
  auto stub = ::ra::RA::NewStub(
      grpc::CreateChannel(absl::GetFlag(FLAGS_ra), *credentials));

  grpc::ClientContext context;
  context.set_deadline(
      absl::ToChronoTime(absl::Now() + absl::GetFlag(FLAGS_rpc_timeout)));
  ::ra::AuthorizationResponse response;
  grpc::Status status;
  int64_t id = 0;
  if (command == "new-authz") {
    ::ra::NewAuthorizationRequest request;
    request.set_registrationid(absl::GetFlag(FLAGS_account));
    request.mutable_identifier()->set_type("dns");
    request.mutable_identifier()->set_value(argument);
    request.set_wildcard(absl::GetFlag(FLAGS_wildcard));
    status = stub->NewAuthorization(&context, request, &response);
  } else if (command == "validate") {
    if (!ParseId(argument, &id)) return Usage("ID must be a positive number");
    ::ra::PerformValidationRequest request;
    request.set_id(id);
    const std::string ka = absl::GetFlag(FLAGS_key_authorization);
    const std::string thumbprint = absl::GetFlag(FLAGS_thumbprint);
    if (ka.empty() == thumbprint.empty()) {
      return Usage("give exactly one of --key-authorization, --thumbprint");
    }
    if (!ka.empty()) {
      request.set_keyauthorization(ka);
    } else {
      request.set_jwkthumbprint(thumbprint);
    }
    request.set_challengetype(absl::GetFlag(FLAGS_challenge));
    status = stub->PerformValidation(&context, request, &response);
  } else if (command == "txt") {
    if (!ParseId(argument, &id)) return Usage("ID must be a positive number");
    const std::string type = absl::GetFlag(FLAGS_challenge);
    const acmeva::va::ChallengeValidator* challenge =
        acmeva::va::FindChallenge(type);
    if (challenge == nullptr) {
      return Usage(absl::StrCat("unknown challenge type \"", type, "\""));
    }
    const std::string thumbprint = absl::GetFlag(FLAGS_thumbprint);
    if (thumbprint.empty()) return Usage("txt needs --thumbprint");
    ::ra::AuthorizationID request;
    request.set_id(id);
    status = stub->GetAuthorization(&context, request, &response);
    if (status.ok()) {
      const core::Authorization& authz = response.authz();
      std::string token;
      for (const core::Challenge& c : authz.challenges()) {
        if (c.type() == type) token = c.token();
      }
      acmeva::va::ChallengeConfig config;
      config.issuer_domain = absl::GetFlag(FLAGS_issuer_domain);
      if (!absl::GetFlag(FLAGS_account_uri_prefix).empty()) {
        config.account_uri_prefixes = {absl::GetFlag(FLAGS_account_uri_prefix)};
      }
      acmeva::va::DcvInput input;
      input.identifier = authz.identifier().value();
      input.token = token;
      input.key_authorization = absl::StrCat(token, ".", thumbprint);
      input.account_id = authz.registrationid();
      absl::StatusOr<acmeva::va::PublishedTxt> txt =
          challenge->RecordToPublish(config, input);
      if (!txt.ok()) return Usage(std::string(txt.status().message()));
      common::JsonFields f;
      f.Str("challenge", type).Str("name", txt->name).Str("value", txt->value);
      std::printf("{%s}\n", f.body().c_str());
      return 0;
    }
  } else if (command == "get") {
    if (!ParseId(argument, &id)) return Usage("ID must be a positive number");
    ::ra::AuthorizationID request;
    request.set_id(id);
    status = stub->GetAuthorization(&context, request, &response);
  } else if (command == "wait") {
    if (!ParseId(argument, &id)) return Usage("ID must be a positive number");
    ::ra::WaitAuthorizationRequest request;
    request.set_id(id);
    // The RA answers shortly before this deadline if still not final.
    context.set_deadline(
        absl::ToChronoTime(absl::Now() + absl::GetFlag(FLAGS_timeout)));
    status = stub->WaitAuthorization(&context, request, &response);
  } else {
    return Usage(absl::StrCat("unknown command \"", command, "\""));
  }

  if (!status.ok()) {
    std::fprintf(stderr, "vactl: %s: %s: %s\n", command.c_str(),
                 CodeName(status.error_code()).c_str(),
                 status.error_message().c_str());
    return 1;
  }
  std::printf("%s\n", acmeva::ra::AuthorizationJson(response).c_str());
  return 0;
}
