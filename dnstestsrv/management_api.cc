#include "dnstestsrv/management_api.h"

#include <arpa/inet.h>

#include <cstdio>
#include <fstream>
#include <sstream>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/strip.h"
#include "absl/time/time.h"
#include "dnstestsrv/management.pb.h"
#include "dnswire/message.h"
#include "google/protobuf/util/json_util.h"

namespace acmeva::dnstestsrv {
namespace {

using ::acmeva::dnswire::AaaaRecord;
using ::acmeva::dnswire::ARecord;
using ::acmeva::dnswire::CaaRecord;
using ::acmeva::dnswire::RRTypeFromString;
using ::acmeva::dnswire::RRTypeToString;
using ::acmeva::dnswire::TxtRecord;
using ::acmeva::dnswire::ValidateName;

constexpr size_t kMaxTxtBytes = 60000;  // RDATA must fit a 64 KiB message
constexpr uint32_t kMaxDelayMs = 10 * 60 * 1000;

absl::Status BadField(absl::string_view field, absl::string_view problem) {
  return absl::InvalidArgumentError(
      absl::StrCat("field \"", field, "\": ", problem));
}

absl::Status Missing(absl::string_view field) {
  return absl::InvalidArgumentError(
      absl::StrCat("missing field \"", field, "\""));
}

template <typename Message>
absl::Status ParseJson(absl::string_view body, Message* message) {
  if (absl::StripAsciiWhitespace(body).empty()) body = "{}";
  google::protobuf::util::JsonParseOptions options;
  options.ignore_unknown_fields = false;  // a typo must not pass silently
  auto status = google::protobuf::util::JsonStringToMessage(
      google::protobuf::StringPiece(body.data(), body.size()), message,
      options);
  if (!status.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("invalid JSON body: ", status.message().as_string()));
  }
  return absl::OkStatus();
}

std::string ToJson(const google::protobuf::Message& message) {
  google::protobuf::util::JsonPrintOptions options;
  options.preserve_proto_field_names = true;
  options.always_print_primitive_fields = true;
  std::string out;
  if (!google::protobuf::util::MessageToJsonString(message, &out, options)
           .ok()) {
    return "{}";
  }
  return out;
}

std::string Compact(const google::protobuf::Message& message) {
  google::protobuf::util::JsonPrintOptions options;
  options.preserve_proto_field_names = true;
  std::string out;
  (void)google::protobuf::util::MessageToJsonString(message, &out, options);
  return out;
}

absl::Status CheckHost(absl::string_view host,
                       absl::string_view field = "host") {
  if (host.empty()) return Missing(field);
  if (absl::Status s = ValidateName(host); !s.ok()) {
    return BadField(field, s.message());
  }
  return absl::OkStatus();
}

// Each Apply* validates completely before changing anything, so a 400
// leaves the store as it was.
class Applier {
 public:
  Applier(RecordStore* store, FaultTable* faults)
      : store_(store), faults_(faults) {}

  absl::Status SetTxt(const ::dnstestsrv::api::SetTxtRequest& r) {
    if (absl::Status s = CheckHost(r.host()); !s.ok()) return s;
    TxtRecord txt;
    if (r.strings_size() > 0) {
      if (r.has_value()) {
        return BadField("strings", "give either \"value\" or \"strings\"");
      }
      size_t total = 0;
      for (int i = 0; i < r.strings_size(); ++i) {
        if (r.strings(i).size() > 255) {
          return BadField(absl::StrCat("strings[", i, "]"),
                          "longer than 255 octets");
        }
        total += r.strings(i).size() + 1;
        txt.strings.push_back(r.strings(i));
      }
      if (total > kMaxTxtBytes) return BadField("strings", "too long");
    } else if (r.has_value()) {
      if (r.value().size() > kMaxTxtBytes) return BadField("value", "too long");
      txt.strings.push_back(r.value());
    } else {
      return Missing("value");
    }
    store_->AddTxt(r.host(), std::move(txt));
    if (r.has_ad()) store_->SetAuthenticated(r.host(), r.ad());
    return absl::OkStatus();
  }

  absl::Status AddCaa(const ::dnstestsrv::api::AddCaaRequest& r) {
    if (absl::Status s = CheckHost(r.host()); !s.ok()) return s;
    if (r.policies_size() == 0) return Missing("policies");
    std::vector<CaaRecord> records;
    for (int i = 0; i < r.policies_size(); ++i) {
      const ::dnstestsrv::api::CaaPolicy& p = r.policies(i);
      std::string field = absl::StrCat("policies[", i, "]");
      if (p.tag().empty()) return Missing(absl::StrCat(field, ".tag"));
      if (p.tag().size() > 255) {
        return BadField(absl::StrCat(field, ".tag"), "longer than 255 octets");
      }
      if (p.has_flag() && p.flag() > 255) {
        return BadField(absl::StrCat(field, ".flag"), "must be 0..255");
      }
      if (p.value().size() > kMaxTxtBytes) {
        return BadField(absl::StrCat(field, ".value"), "too long");
      }
      records.push_back(
          CaaRecord{static_cast<uint8_t>(p.flag()), p.tag(), p.value()});
    }
    for (CaaRecord& c : records) store_->AddCaa(r.host(), std::move(c));
    if (r.has_ad()) store_->SetAuthenticated(r.host(), r.ad());
    return absl::OkStatus();
  }

  absl::Status AddAddresses(const ::dnstestsrv::api::AddAddressesRequest& r,
                            bool v6) {
    if (absl::Status s = CheckHost(r.host()); !s.ok()) return s;
    if (r.addresses_size() == 0) return Missing("addresses");
    std::vector<ARecord> a;
    std::vector<AaaaRecord> aaaa;
    for (int i = 0; i < r.addresses_size(); ++i) {
      const std::string& text = r.addresses(i);
      bool ok = v6 ? inet_pton(AF_INET6, text.c_str(),
                               aaaa.emplace_back().address.data()) == 1
                   : inet_pton(AF_INET, text.c_str(),
                               a.emplace_back().address.data()) == 1;
      if (!ok) {
        return BadField(absl::StrCat("addresses[", i, "]"),
                        absl::StrCat("\"", text, "\" is not an IPv",
                                     v6 ? "6" : "4", " address"));
      }
    }
    for (const ARecord& x : a) store_->AddA(r.host(), x);
    for (const AaaaRecord& x : aaaa) store_->AddAaaa(r.host(), x);
    if (r.has_ad()) store_->SetAuthenticated(r.host(), r.ad());
    return absl::OkStatus();
  }

  absl::Status SetCname(const ::dnstestsrv::api::SetCnameRequest& r) {
    if (absl::Status s = CheckHost(r.host()); !s.ok()) return s;
    if (absl::Status s = CheckHost(r.target(), "target"); !s.ok()) return s;
    store_->SetCname(r.host(), r.target());
    if (r.has_ad()) store_->SetAuthenticated(r.host(), r.ad());
    return absl::OkStatus();
  }

  absl::Status SetAd(const ::dnstestsrv::api::SetAdRequest& r) {
    if (absl::Status s = CheckHost(r.host()); !s.ok()) return s;
    store_->SetAuthenticated(r.host(), r.ad());
    return absl::OkStatus();
  }

  absl::Status SetFault(const ::dnstestsrv::api::SetFaultRequest& r) {
    if (absl::Status s = CheckHost(r.host()); !s.ok()) return s;
    FaultSpec spec;
    spec.host = r.host();
    if (r.mode().empty()) return Missing("mode");
    std::optional<FaultMode> mode = FaultModeFromString(r.mode());
    if (!mode.has_value()) {
      return BadField("mode", absl::StrCat("unknown mode \"", r.mode(),
                                           "\" (want drop, delay, servfail, "
                                           "refused, nxdomain or truncate)"));
    }
    spec.mode = *mode;
    if (!r.type().empty()) {
      std::optional<dnswire::RRType> type = RRTypeFromString(r.type());
      if (!type.has_value()) {
        return BadField("type",
                        absl::StrCat("unknown record type \"", r.type(), "\""));
      }
      spec.type = *type;
    }
    if (r.has_count()) {
      if (r.count() == 0) return BadField("count", "must be at least 1");
      spec.count = r.count();
    }
    if (r.has_probability()) {
      if (!(r.probability() >= 0.0 && r.probability() <= 1.0)) {
        return BadField("probability", "must be between 0 and 1");
      }
      spec.probability = r.probability();
    }
    if (r.has_delay_ms()) {
      if (r.delay_ms() > kMaxDelayMs) {
        return BadField("delay_ms", "must be at most 600000");
      }
      spec.delay = absl::Milliseconds(r.delay_ms());
    } else if (spec.mode == FaultMode::kDelay) {
      return Missing("delay_ms");
    }
    faults_->Set(std::move(spec));
    return absl::OkStatus();
  }

 private:
  RecordStore* store_;
  FaultTable* faults_;
};

absl::StatusOr<std::string> HistoryJson(const RequestHistory& history,
                                        absl::string_view host) {
  std::vector<std::string> items;
  for (const RequestEvent& e : history.Get(host)) {
    ::dnstestsrv::api::RequestEvent out;
    out.set_time(absl::FormatTime("%Y-%m-%d%ET%H:%M:%E6SZ", e.time,
                                  absl::UTCTimeZone()));
    out.set_name(e.name);
    out.set_qtype(RRTypeToString(e.qtype));
    out.set_transport(std::string(TransportName(e.transport)));
    out.set_fault(e.fault);
    out.set_client(e.client);
    out.mutable_question()->set_name(absl::StrCat(e.name, "."));
    out.mutable_question()->set_qtype(static_cast<uint16_t>(e.qtype));
    out.mutable_question()->set_qclass(e.qclass);
    items.push_back(ToJson(out));
  }
  return absl::StrCat("[", absl::StrJoin(items, ","), "]");
}

std::string FaultsJson(const FaultTable& faults) {
  std::vector<std::string> items;
  for (const FaultSpec& f : faults.List()) {
    ::dnstestsrv::api::FaultEntry out;
    out.set_host(f.host);
    out.set_type(f.type.has_value() ? RRTypeToString(*f.type) : "");
    out.set_mode(std::string(FaultModeName(f.mode)));
    if (f.count.has_value()) out.set_remaining(*f.count);
    out.set_probability(f.probability);
    out.set_delay_ms(static_cast<uint32_t>(absl::ToInt64Milliseconds(f.delay)));
    items.push_back(ToJson(out));
  }
  return absl::StrCat("[", absl::StrJoin(items, ","), "]");
}

}  // namespace

ManagementApi::ManagementApi(RecordStore* store, FaultTable* faults,
                             RequestHistory* history, bool log_changes)
    : store_(store),
      faults_(faults),
      history_(history),
      log_changes_(log_changes) {}

void ManagementApi::Log(absl::string_view what) const {
  if (log_changes_) absl::FPrintF(stderr, "dnstestsrv: %s\n", what);
}

common::HttpResponse ManagementApi::Handle(const common::HttpRequest& request) {
  common::HttpResponse response;
  if (request.method != "POST") {
    response.status = 405;
    response.body = "only POST is supported\n";
    return response;
  }
  absl::StatusOr<std::string> result = Dispatch(request.path, request.body);
  if (!result.ok()) {
    response.status = absl::IsNotFound(result.status()) ? 404 : 400;
    response.body = absl::StrCat(result.status().message(), "\n");
    return response;
  }
  if (!result->empty()) {
    response.content_type = "application/json";
    response.body = *std::move(result);
  }
  return response;
}

absl::StatusOr<std::string> ManagementApi::Dispatch(absl::string_view path,
                                                    absl::string_view body) {
  Applier apply(store_, faults_);
  // Parses the body as `Message`, runs `fn`, logs the change.
  auto change = [&](auto message, auto fn) -> absl::StatusOr<std::string> {
    if (absl::Status s = ParseJson(body, &message); !s.ok()) return s;
    if (absl::Status s = fn(message); !s.ok()) return s;
    Log(absl::StrCat(path, " ", Compact(message)));
    return std::string();
  };
  auto host_change = [&](auto fn) {
    return change(::dnstestsrv::api::HostRequest(),
                  [&](const ::dnstestsrv::api::HostRequest& r) {
                    if (absl::Status s = CheckHost(r.host()); !s.ok()) return s;
                    fn(r.host());
                    return absl::OkStatus();
                  });
  };
  if (path == "/set-txt") {
    return change(::dnstestsrv::api::SetTxtRequest(),
                  [&](const auto& r) { return apply.SetTxt(r); });
  }
  if (path == "/clear-txt") {
    return host_change([&](const std::string& h) { store_->ClearTxt(h); });
  }
  if (path == "/add-caa") {
    return change(::dnstestsrv::api::AddCaaRequest(),
                  [&](const auto& r) { return apply.AddCaa(r); });
  }
  if (path == "/clear-caa") {
    return host_change([&](const std::string& h) { store_->ClearCaa(h); });
  }
  if (path == "/set-cname") {
    return change(::dnstestsrv::api::SetCnameRequest(),
                  [&](const auto& r) { return apply.SetCname(r); });
  }
  if (path == "/clear-cname") {
    return host_change([&](const std::string& h) { store_->ClearCname(h); });
  }
  if (path == "/add-a" || path == "/add-aaaa") {
    bool v6 = path == "/add-aaaa";
    return change(::dnstestsrv::api::AddAddressesRequest(),
                  [&](const auto& r) { return apply.AddAddresses(r, v6); });
  }
  if (path == "/clear-a") {
    return host_change([&](const std::string& h) { store_->ClearA(h); });
  }
  if (path == "/clear-aaaa") {
    return host_change([&](const std::string& h) { store_->ClearAaaa(h); });
  }
  if (path == "/set-servfail" || path == "/clear-servfail") {
    bool on = path == "/set-servfail";
    return host_change(
        [&](const std::string& h) { store_->SetServfail(h, on); });
  }
  if (path == "/set-nxdomain" || path == "/clear-nxdomain") {
    bool on = path == "/set-nxdomain";
    return host_change(
        [&](const std::string& h) { store_->SetNxdomain(h, on); });
  }
  if (path == "/set-ad") {
    return change(::dnstestsrv::api::SetAdRequest(),
                  [&](const auto& r) { return apply.SetAd(r); });
  }
  if (path == "/set-fault") {
    return change(::dnstestsrv::api::SetFaultRequest(),
                  [&](const auto& r) { return apply.SetFault(r); });
  }
  if (path == "/clear-faults") {
    return change(::dnstestsrv::api::HostRequest(),
                  [&](const ::dnstestsrv::api::HostRequest& r) {
                    if (r.host().empty()) {
                      faults_->ClearAll();
                      return absl::OkStatus();
                    }
                    if (absl::Status s = CheckHost(r.host()); !s.ok()) return s;
                    faults_->Clear(r.host());
                    return absl::OkStatus();
                  });
  }
  if (path == "/list-faults") return FaultsJson(*faults_);
  if (path == "/dns-request-history" || path == "/clear-request-history") {
    ::dnstestsrv::api::HostRequest r;
    if (absl::Status s = ParseJson(body, &r); !s.ok()) return s;
    if (!r.host().empty()) {
      if (absl::Status s = CheckHost(r.host()); !s.ok()) return s;
    }
    if (history_ == nullptr) {
      return absl::FailedPreconditionError(
          "request history is off (started with --history=false)");
    }
    if (path == "/dns-request-history") return HistoryJson(*history_, r.host());
    // Boulder's client names the history kind; only "dns" exists here.
    if (r.type().empty() || r.type() == "dns") history_->Clear(r.host());
    return std::string();
  }
  return absl::NotFoundError(absl::StrCat("unknown endpoint ", path));
}

absl::Status ManagementApi::LoadRecords(absl::string_view json) {
  ::dnstestsrv::api::RecordsFile file;
  if (absl::Status s = ParseJson(json, &file); !s.ok()) return s;
  Applier apply(store_, faults_);
  auto each = [](absl::string_view section, const auto& list,
                 auto fn) -> absl::Status {
    for (int i = 0; i < list.size(); ++i) {
      if (absl::Status s = fn(list.Get(i)); !s.ok()) {
        return absl::InvalidArgumentError(
            absl::StrCat(section, "[", i, "]: ", s.message()));
      }
    }
    return absl::OkStatus();
  };
  auto host_flag = [&](bool nxdomain) {
    return [this, nxdomain](const ::dnstestsrv::api::HostRequest& r) {
      if (absl::Status s = CheckHost(r.host()); !s.ok()) return s;
      if (nxdomain) {
        store_->SetNxdomain(r.host(), true);
      } else {
        store_->SetServfail(r.host(), true);
      }
      return absl::OkStatus();
    };
  };
  absl::Status s;
  if (s.ok())
    s = each("txt", file.txt(), [&](const auto& r) { return apply.SetTxt(r); });
  if (s.ok())
    s = each("caa", file.caa(), [&](const auto& r) { return apply.AddCaa(r); });
  if (s.ok())
    s = each("a", file.a(),
             [&](const auto& r) { return apply.AddAddresses(r, false); });
  if (s.ok())
    s = each("aaaa", file.aaaa(),
             [&](const auto& r) { return apply.AddAddresses(r, true); });
  if (s.ok())
    s = each("cname", file.cname(),
             [&](const auto& r) { return apply.SetCname(r); });
  if (s.ok()) s = each("nxdomain", file.nxdomain(), host_flag(true));
  if (s.ok()) s = each("servfail", file.servfail(), host_flag(false));
  if (s.ok())
    s = each("faults", file.faults(),
             [&](const auto& r) { return apply.SetFault(r); });
  if (s.ok())
    s = each("ad", file.ad(), [&](const auto& r) { return apply.SetAd(r); });
  return s;
}

absl::Status ManagementApi::LoadRecordsFile(const std::string& path) {
  std::ifstream in(path);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot open ", path));
  std::stringstream text;
  text << in.rdbuf();
  if (absl::Status s = LoadRecords(text.str()); !s.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": ", s.message()));
  }
  Log(absl::StrCat("loaded ", path, " (", store_->size(), " names)"));
  return absl::OkStatus();
}

}  // namespace acmeva::dnstestsrv
