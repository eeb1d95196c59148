#include "bench/lib/record_writer.h"

#include "absl/container/flat_hash_set.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/json_log.h"

namespace acmeva::bench {

std::optional<Mode> ModeFromString(absl::string_view text) {
  if (text == "dcv") return Mode::kDcv;
  if (text == "caa") return Mode::kCaa;
  if (text == "both") return Mode::kBoth;
  return std::nullopt;
}

absl::string_view ModeName(Mode mode) {
  switch (mode) {
    case Mode::kDcv:
      return "dcv";
    case Mode::kCaa:
      return "caa";
    case Mode::kBoth:
      return "both";
  }
  return "?";
}

std::vector<std::string> DistinctQueryNames(const std::vector<BenchName>& names,
                                            Mode mode) {
  absl::flat_hash_set<std::string> seen;
  std::vector<std::string> out;
  auto add = [&](std::string name) {
    if (seen.insert(name).second) out.push_back(std::move(name));
  };
  for (const BenchName& n : names) {
    if (mode != Mode::kCaa) add(TxtQueryName(n.name));
    if (mode != Mode::kDcv) {
      for (std::string& suffix : CaaQueryNames(n.name)) add(std::move(suffix));
    }
  }
  return out;
}

void WriteDnstestsrvRecords(const std::vector<BenchName>& names,
                            const std::optional<FaultOptions>& fault,
                            std::ostream& out) {
  using common::JsonQuote;
  out << "{\"txt\":[";
  for (size_t i = 0; i < names.size(); ++i) {
    out << (i ? ",\n" : "\n")
        << "{\"host\":" << JsonQuote(TxtQueryName(names[i].name))
        << ",\"value\":" << JsonQuote(names[i].txt_value) << "}";
  }
  out << "],\n\"caa\":[";
  bool first = true;
  for (const BenchName& n : names) {
    if (!n.caa_issue.has_value()) continue;
    out << (first ? "\n" : ",\n") << "{\"host\":" << JsonQuote(n.name)
        << ",\"policies\":[{\"tag\":\"issue\",\"value\":"
        << JsonQuote(*n.caa_issue) << ",\"flag\":0}]}";
    first = false;
  }
  out << "]";
  if (fault.has_value()) {
    out << ",\n\"faults\":[";
    first = true;
    for (const std::string& host : DistinctQueryNames(names, Mode::kBoth)) {
      out << (first ? "\n" : ",\n") << "{\"host\":" << JsonQuote(host)
          << ",\"mode\":" << JsonQuote(fault->mode);
      if (!fault->type.empty()) out << ",\"type\":" << JsonQuote(fault->type);
      if (fault->probability < 1.0) {
        out << ",\"probability\":"
            << absl::StrFormat("%.6g", fault->probability);
      }
      if (fault->delay_ms > 0) out << ",\"delay_ms\":" << fault->delay_ms;
      out << "}";
      first = false;
    }
    out << "]";
  }
  out << "}\n";
}

absl::Status WriteNsdZone(const std::vector<BenchName>& names,
                          absl::string_view origin, std::ostream& out) {
  const std::string suffix = absl::StrCat(".", origin);
  out << "$ORIGIN " << origin << ".\n$TTL 60\n"
      << "@ IN SOA ns." << origin << ". hostmaster." << origin
      << ". 1 3600 600 86400 0\n"
      << "@ IN NS ns." << origin << ".\n"
      << "ns IN A 127.0.0.1\n";
  for (const BenchName& n : names) {
    if (!absl::EndsWith(n.name, suffix)) {
      return absl::InvalidArgumentError(
          absl::StrCat(n.name, " is outside the zone ", origin));
    }
    const absl::string_view relative(n.name.data(),
                                     n.name.size() - suffix.size());
    out << "_acme-challenge." << relative << " IN TXT \"" << n.txt_value
        << "\"\n";
    if (n.caa_issue.has_value()) {
      // Zone-file strings escape '"' and '\'; generated values have neither.
      out << relative << " IN CAA 0 issue \"" << *n.caa_issue << "\"\n";
    }
  }
  return absl::OkStatus();
}

void WriteDnsperfQueries(const std::vector<BenchName>& names, Mode mode,
                         std::ostream& out) {
  for (const BenchName& n : names) {
    if (mode != Mode::kCaa) out << TxtQueryName(n.name) << " TXT\n";
    if (mode != Mode::kDcv) {
      for (const std::string& suffix : CaaQueryNames(n.name)) {
        out << suffix << " CAA\n";
      }
    }
  }
}

}  // namespace acmeva::bench
