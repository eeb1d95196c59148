#include "test/integration/va_stack.h"

#include <grpcpp/create_channel.h>
#include <grpcpp/security/credentials.h>

#include <chrono>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "va/dns01.h"

namespace acmeva::testing_harness {

std::string VaStack::dns_addr() const {
  return absl::StrCat("127.0.0.1:", dns_port_);
}

absl::Status VaStack::Start(const VaStackOptions& options) {
  dir_ = TempDir("va-stack");
  if (options.start_dns) {
    dns_flags_ = options.dns_flags;
    if (auto s = StartDns(); !s.ok()) return s;
  }
  return StartVa(options.va_flags, options.resolvers);
}

absl::Status VaStack::StartDns() {
  // Fresh ports on the first start (and on a try after a port was taken);
  // a restart keeps its ports, as a real server's address does.
  const bool keep_ports = dns_port_ != 0;
  auto dns = StartListening(
      [&] {
        if (!keep_ports) {
          dns_port_ = FreePort(/*udp_too=*/true);
          mgmt_port_ = FreePort();
        }
        Launch l;
        l.argv = {ProgramPath("dnstestsrv"),
                  absl::StrCat("--dns01=", dns_addr()),
                  absl::StrCat("--management=127.0.0.1:", mgmt_port_)};
        l.argv.insert(l.argv.end(), dns_flags_.begin(), dns_flags_.end());
        l.ready = absl::StrCat("management on 127.0.0.1:", mgmt_port_, ",");
        return l;
      },
      dir_ + "/dnstestsrv.log");
  if (!dns.ok()) return dns.status();
  dns_ = *std::move(dns);
  return absl::OkStatus();
}

absl::Status VaStack::RestartDns(absl::Duration down_for) {
  dns_.Kill9();
  absl::SleepFor(down_for);
  return StartDns();
}

absl::Status VaStack::StartVa(const std::vector<std::string>& flags,
                              std::vector<std::string> resolvers) {
  if (va_.pid() > 0) va_.Stop();
  if (resolvers.empty()) resolvers.push_back(dns_addr());
  auto va = StartListening(
      [&] {
        va_port_ = FreePort();
        metrics_port_ = FreePort();
        Launch l;
        l.argv = {
            ProgramPath("va"), absl::StrCat("--listen=127.0.0.1:", va_port_),
            "--plaintext",
            // dnstestsrv does not validate DNSSEC; a test that wants the
            // canary passes --dnssec-canary=on (the last value wins).
            "--dnssec-canary=off",
            absl::StrCat("--dns-resolvers=", absl::StrJoin(resolvers, ",")),
            "--issuer-domain=letsencrypt.org",
            "--account-uri-prefixes=https://acme-v02.example/acme/acct/,"
            "https://acme-v02.example/acme/reg/",
            absl::StrCat("--metrics-listen=127.0.0.1:", metrics_port_)};
        l.argv.insert(l.argv.end(), flags.begin(), flags.end());
        l.ready = absl::StrCat(
            "\"va serving\",\"listen\":\"127.0.0.1:", va_port_, "\"");
        return l;
      },
      dir_ + "/va.log");
  if (!va.ok()) return va.status();
  va_ = *std::move(va);
  auto channel = grpc::CreateChannel(absl::StrCat("127.0.0.1:", va_port_),
                                     grpc::InsecureChannelCredentials());
  va_stub_ = ::va::VA::NewStub(channel);
  caa_stub_ = ::va::CAA::NewStub(channel);
  return absl::OkStatus();
}

absl::Status VaStack::Dns(const std::string& path, const std::string& json) {
  auto reply = HttpPost(mgmt_port_, path, json);
  if (!reply.ok()) return reply.status();
  if (reply->status != 200) {
    return absl::InternalError(
        absl::StrCat(path, " -> ", reply->status, ": ", reply->body));
  }
  return absl::OkStatus();
}

int VaStack::QueryCount(const std::string& host, const std::string& qtype) {
  auto reply = HttpPost(mgmt_port_, "/dns-request-history",
                        absl::StrCat("{\"host\":\"", host, "\"}"));
  if (!reply.ok() || reply->status != 200) return -1;
  // Count events; each carries its qtype as a string field.
  int count = 0;
  const std::string& body = reply->body;
  const std::string needle = qtype.empty()
                                 ? "\"transport\""
                                 : absl::StrCat("\"qtype\":\"", qtype, "\"");
  for (size_t pos = body.find(needle); pos != std::string::npos;
       pos = body.find(needle, pos + 1)) {
    ++count;
  }
  return count;
}

grpc::Status VaStack::DoDCV(const std::string& identifier,
                            const std::string& key_authz,
                            ::va::ValidationResult* out,
                            absl::Duration timeout) {
  ::va::PerformValidationRequest req;
  req.mutable_identifier()->set_type("dns");
  req.mutable_identifier()->set_value(identifier);
  req.mutable_challenge()->set_type("dns-01");
  // The token is the key authorization's first part, when it has that shape.
  const std::string token = key_authz.substr(0, key_authz.find('.'));
  if (token.size() == 43) req.mutable_challenge()->set_token(token);
  req.mutable_challenge()->set_status("pending");
  req.mutable_authz()->set_id(1);
  req.mutable_authz()->set_regid(1);
  req.set_expectedkeyauthorization(key_authz);
  grpc::ClientContext ctx;
  ctx.set_deadline(absl::ToChronoTime(absl::Now() + timeout));
  return va_stub_->DoDCV(&ctx, req, out);
}

grpc::Status VaStack::DoCAA(const std::string& identifier,
                            const std::string& method, int64_t account,
                            ::va::IsCAAValidResponse* out,
                            absl::Duration timeout) {
  ::va::IsCAAValidRequest req;
  req.mutable_identifier()->set_type("dns");
  req.mutable_identifier()->set_value(identifier);
  req.set_validationmethod(method);
  req.set_accounturiid(account);
  req.set_authzid(1);
  grpc::ClientContext ctx;
  ctx.set_deadline(absl::ToChronoTime(absl::Now() + timeout));
  return caa_stub_->DoCAA(&ctx, req, out);
}

KeyAuthz MakeKeyAuthz(int seed) {
  // 43-character base64url token and thumbprint, distinct per seed.
  std::string token = absl::StrCat("tok", seed);
  token.resize(43, 'A');
  std::string thumb = absl::StrCat("thumb", seed);
  thumb.resize(43, 'B');
  KeyAuthz k;
  k.key_authorization = absl::StrCat(token, ".", thumb);
  k.txt = va::Dns01Digest(k.key_authorization);
  return k;
}

}  // namespace acmeva::testing_harness
