#include "test/integration/ra_stack.h"

#include <google/protobuf/util/json_util.h>
#include <grpcpp/create_channel.h>
#include <grpcpp/security/credentials.h>
#include <sqlite3.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "va/dns01.h"

namespace acmeva::testing_harness {
namespace {

// The last `lines` lines of a file.
std::string Tail(const std::string& path, size_t lines) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  std::vector<std::string> all = absl::StrSplit(ss.str(), '\n');
  const size_t from = all.size() > lines ? all.size() - lines : 0;
  return absl::StrJoin(all.begin() + static_cast<std::ptrdiff_t>(from),
                       all.end(), "\n");
}

// Ready lines are the programs' own "serving" lines, so a foreign listener
// on a reused port, or a TCP self-connect, can't fake readiness; the RA and
// the VAs may take a while under sanitizers.
constexpr absl::Duration kStartTimeout = absl::Seconds(20);

std::string VaReadyLine(int port) {
  return absl::StrCat("\"va serving\",\"listen\":\"127.0.0.1:", port, "\"");
}

}  // namespace

const char kThumbprint[] = "9jg46WB3rR_AHD-EBXdN7cBkH1WOu0tA3M9fm21mqTI";

std::string KeyAuthorization(const std::string& token) {
  return absl::StrCat(token, ".", kThumbprint);
}

std::string TxtFor(const std::string& key_authorization) {
  return va::Dns01Digest(key_authorization);
}

RaStack::~RaStack() {
  ra_.Stop(absl::Seconds(5));
  for (auto& va : vas_) va->Stop(absl::Seconds(2));
  dns_.Stop(absl::Seconds(2));
  if (!keep_dir_ && !dir_.empty()) {
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
  }
}

std::string RaStack::dns_addr() const {
  return absl::StrCat("127.0.0.1:", dns_port_);
}

std::string RaStack::ra_addr() const {
  return absl::StrCat("127.0.0.1:", ra_port_);
}

absl::Status RaStack::Start(const RaStackOptions& options) {
  options_ = options;
  dir_ = TempDir("ra-e2e");
  if (dir_.empty()) return absl::InternalError("mkdtemp failed");
  db_path_ = dir_ + "/ra.sqlite";

  auto dns = StartListening(
      [&] {
        dns_port_ = FreePort(/*udp_too=*/true);
        mgmt_port_ = FreePort();
        return Launch{
            {ProgramPath("dnstestsrv"), absl::StrCat("--dns01=", dns_addr()),
             absl::StrCat("--management=127.0.0.1:", mgmt_port_)},
            absl::StrCat("DNS on ", dns_addr(), " ")};
      },
      dir_ + "/dnstestsrv.log", kStartTimeout);
  if (!dns.ok()) return dns.status();
  dns_ = *std::move(dns);

  std::vector<std::string> va_addrs;
  for (int i = 0; i < options_.va_count; ++i) {
    vas_.push_back(std::make_unique<Process>());
    va_argvs_.emplace_back();
    va_ports_.push_back(0);
    auto va = StartListening(
        [&] {
          const int port = FreePort();
          std::vector<std::string> argv = {
              ProgramPath("va"),
              absl::StrCat("--listen=127.0.0.1:", port),
              "--plaintext",
              "--dnssec-canary=off",  // dnstestsrv
              absl::StrCat("--dns-resolvers=", dns_addr()),
              "--issuer-domain=letsencrypt.org",
              "--account-uri-prefixes=https://acme-v02.example/acme/acct/"};
          argv.insert(argv.end(), options_.va_flags.begin(),
                      options_.va_flags.end());
          va_argvs_.back() = argv;
          va_ports_.back() = port;
          return Launch{std::move(argv), VaReadyLine(port)};
        },
        absl::StrCat(dir_, "/va", i, ".log"), kStartTimeout);
    if (!va.ok()) return va.status();
    *vas_.back() = *std::move(va);
    va_addrs.push_back(absl::StrCat("127.0.0.1:", va_ports_.back()));
  }
  options_.ra_flags.insert(options_.ra_flags.begin(),
                           absl::StrCat("--va=", absl::StrJoin(va_addrs, ",")));
  return StartRa();
}

absl::Status RaStack::RestartVa(int i) {
  const size_t k = static_cast<size_t>(i);
  if (vas_[k]->pid() > 0) vas_[k]->Stop();
  // The same address again (the RA knows it): tries repeat, ports stay.
  auto va = StartListening(
      [&] {
        return Launch{va_argvs_[k], VaReadyLine(va_ports_[k])};
      },
      absl::StrCat(dir_, "/va", i, ".log"), kStartTimeout);
  if (!va.ok()) return va.status();
  *vas_[k] = *std::move(va);
  return absl::OkStatus();
}

absl::Status RaStack::StartRa() {
  if (ra_.pid() > 0) ra_.Stop();
  // One log for all incarnations, so a restart's resume is visible next to
  // the crash.
  auto ra = StartListening(
      [&] {
        ra_port_ = FreePort();
        std::vector<std::string> argv = {
            ProgramPath("ra"), absl::StrCat("--listen=", ra_addr()),
            "--plaintext", absl::StrCat("--db=", db_path_)};
        argv.insert(argv.end(), options_.ra_flags.begin(),
                    options_.ra_flags.end());
        return Launch{
            std::move(argv),
            absl::StrCat("\"ra serving\",\"listen\":\"", ra_addr(), "\"")};
      },
      dir_ + "/ra.log", kStartTimeout);
  if (!ra.ok()) return ra.status();
  ra_ = *std::move(ra);
  ra_stub_ = ::ra::RA::NewStub(
      grpc::CreateChannel(ra_addr(), grpc::InsecureChannelCredentials()));
  return absl::OkStatus();
}

absl::Status RaStack::Dns(const std::string& path, const std::string& json) {
  auto reply = HttpPost(mgmt_port_, path, json);
  if (!reply.ok()) return reply.status();
  if (reply->status != 200) {
    return absl::InternalError(
        absl::StrCat(path, " -> ", reply->status, ": ", reply->body));
  }
  return absl::OkStatus();
}

absl::Status RaStack::SetTxt(const std::string& host,
                             const std::string& value) {
  return Dns("/set-txt", absl::StrCat("{\"host\":\"", host, "\",\"value\":\"",
                                      value, "\"}"));
}

absl::Status RaStack::AddCaa(const std::string& host, const std::string& tag,
                             const std::string& value) {
  return Dns("/add-caa",
             absl::StrCat("{\"host\":\"", host, "\",\"policies\":[{\"tag\":\"",
                          tag, "\",\"value\":\"", value, "\"}]}"));
}

absl::Status RaStack::SetFault(const std::string& host, const std::string& type,
                               const std::string& mode, int count,
                               int delay_ms) {
  std::string body = absl::StrCat("{\"host\":\"", host, "\",\"type\":\"", type,
                                  "\",\"mode\":\"", mode, "\"");
  if (count > 0) absl::StrAppend(&body, ",\"count\":", count);
  if (delay_ms > 0) absl::StrAppend(&body, ",\"delay_ms\":", delay_ms);
  absl::StrAppend(&body, "}");
  return Dns("/set-fault", body);
}

int RaStack::QueryCount(const std::string& host, const std::string& qtype) {
  auto reply = HttpPost(mgmt_port_, "/dns-request-history",
                        absl::StrCat("{\"host\":\"", host, "\"}"));
  if (!reply.ok() || reply->status != 200) return -1;
  int count = 0;
  const std::string needle = absl::StrCat("\"qtype\":\"", qtype, "\"");
  for (size_t pos = reply->body.find(needle); pos != std::string::npos;
       pos = reply->body.find(needle, pos + 1)) {
    ++count;
  }
  return count;
}

CommandResult RaStack::Vactl(const std::vector<std::string>& args,
                             absl::Duration timeout) {
  std::vector<std::string> argv = {
      ProgramPath("vactl"), absl::StrCat("--ra=", ra_addr()), "--plaintext"};
  argv.insert(argv.end(), args.begin(), args.end());
  return RunCommand(argv, timeout);
}

absl::StatusOr<google::protobuf::Struct> RaStack::VactlJson(
    const std::vector<std::string>& args, absl::Duration timeout) {
  CommandResult r = Vactl(args, timeout);
  if (r.exit_code != 0) {
    return absl::InternalError(absl::StrCat("vactl ", absl::StrJoin(args, " "),
                                            " exited ", r.exit_code, ": ",
                                            r.err));
  }
  google::protobuf::Struct out;
  auto status = google::protobuf::util::JsonStringToMessage(r.out, &out);
  if (!status.ok()) {
    return absl::DataLossError(absl::StrCat("vactl printed no JSON object (",
                                            status.ToString(), "): ", r.out));
  }
  return out;
}

std::string RaStack::Logs() const {
  std::string out;
  std::vector<std::string> names = {"dnstestsrv.log", "ra.log"};
  for (size_t i = 0; i < vas_.size(); ++i) {
    names.push_back(absl::StrCat("va", i, ".log"));
  }
  for (const std::string& name : names) {
    absl::StrAppend(&out, "---- ", dir_, "/", name, " (tail)\n",
                    Tail(dir_ + "/" + name, 40), "\n");
  }
  return out;
}

const google::protobuf::Value* Member(const google::protobuf::Struct& object,
                                      const std::string& key) {
  auto it = object.fields().find(key);
  return it == object.fields().end() ? nullptr : &it->second;
}

std::string StrMember(const google::protobuf::Struct& object,
                      const std::string& key) {
  const google::protobuf::Value* v = Member(object, key);
  return v != nullptr && v->has_string_value() ? v->string_value() : "";
}

google::protobuf::Struct Challenge(const google::protobuf::Struct& authz) {
  const google::protobuf::Value* list = Member(authz, "challenges");
  if (list == nullptr || !list->has_list_value() ||
      list->list_value().values_size() == 0 ||
      !list->list_value().values(0).has_struct_value()) {
    return {};
  }
  return list->list_value().values(0).struct_value();
}

absl::StatusOr<std::vector<std::vector<std::string>>> SqliteQuery(
    const std::string& path, const std::string& sql) {
  sqlite3* db = nullptr;
  // Read-write without CREATE: a WAL database left by a killed writer needs
  // its -shm to be writable; nothing here writes rows.
  int rc = sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE, nullptr);
  if (rc != SQLITE_OK) {
    std::string message = db ? sqlite3_errmsg(db) : "out of memory";
    sqlite3_close(db);
    return absl::InternalError(absl::StrCat("open ", path, ": ", message));
  }
  sqlite3_busy_timeout(db, 5000);
  sqlite3_stmt* stmt = nullptr;
  rc = sqlite3_prepare_v2(db, sql.c_str(), -1, &stmt, nullptr);
  std::vector<std::vector<std::string>> rows;
  while (rc == SQLITE_OK && (rc = sqlite3_step(stmt)) == SQLITE_ROW) {
    std::vector<std::string> row;
    for (int i = 0; i < sqlite3_column_count(stmt); ++i) {
      const unsigned char* text = sqlite3_column_text(stmt, i);
      row.emplace_back(text ? reinterpret_cast<const char*>(text) : "");
    }
    rows.push_back(std::move(row));
    rc = SQLITE_OK;
  }
  absl::Status status = absl::OkStatus();
  if (rc != SQLITE_DONE) {
    status = absl::InternalError(
        absl::StrCat("sqlite: ", sql, ": ", sqlite3_errmsg(db)));
  }
  sqlite3_finalize(stmt);
  sqlite3_close(db);
  if (!status.ok()) return status;
  return rows;
}

}  // namespace acmeva::testing_harness
