#include "common/cli.h"

#include <algorithm>

#include "absl/flags/reflection.h"
#include "absl/flags/usage.h"
#include "absl/flags/usage_config.h"
#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/strip.h"

namespace acmeva::common {
namespace {

std::string Underscored(std::string name) {
  std::replace(name.begin(), name.end(), '-', '_');
  return name;
}

// Only names of registered flags ("--no<bool flag>" included) are
// rewritten: a value given as its own argument may start with '-' too (a
// base64url token or thumbprint does one time in 64) and must reach the
// program unchanged.
bool IsFlagName(const std::string& name) {
  if (absl::FindCommandLineFlag(name) != nullptr) return true;
  return name.size() > 2 && name.compare(0, 2, "no") == 0 &&
         absl::FindCommandLineFlag(name.substr(2)) != nullptr;
}

}  // namespace

NormalizedArgs::NormalizedArgs(int argc, char** argv) {
  bool done = false;
  for (int i = 0; i < argc; ++i) {
    std::string arg = argv[i];
    if (i > 0 && !done) {
      if (arg == "--") {
        done = true;
      } else if (arg.size() > 2 && arg[0] == '-') {
        const size_t dashes = arg[1] == '-' ? 2 : 1;
        const size_t eq = arg.find('=');
        const size_t end = eq == std::string::npos ? arg.size() : eq;
        std::string name = Underscored(arg.substr(dashes, end - dashes));
        if (IsFlagName(name)) {
          std::string rebuilt(arg, 0, dashes);
          rebuilt.append(name);
          rebuilt.append(arg, end, std::string::npos);
          arg = std::move(rebuilt);
        }
      }
    }
    args_.push_back(std::move(arg));
  }
  Rebuild();
}

void NormalizedArgs::Rebuild() {
  ptrs_.clear();
  for (auto& a : args_) ptrs_.push_back(a.data());
  ptrs_.push_back(nullptr);  // argv[argc] is null, as in a real argv
}

absl::StatusOr<std::vector<std::string>> NormalizedArgs::ExtractRepeated(
    const std::string& name, const std::string& value_syntax) {
  // Compared on the underscored name: the constructor leaves names that are
  // not registered flags (like these repeated ones) as they were written.
  const std::string wanted = Underscored(name);
  std::vector<std::string> values;
  std::vector<std::string> kept;
  bool positional = false;  // after "--" nothing is a flag
  for (size_t i = 0; i < args_.size(); ++i) {
    const std::string& a = args_[i];
    if (i > 0 && a == "--") positional = true;
    if (i > 0 && !positional && a.size() > 1 && a[0] == '-') {
      const size_t dashes = a[1] == '-' ? 2 : 1;
      const size_t eq = a.find('=');
      const size_t end = eq == std::string::npos ? a.size() : eq;
      if (Underscored(a.substr(dashes, end - dashes)) == wanted) {
        if (eq != std::string::npos) {
          values.push_back(a.substr(eq + 1));
          continue;
        }
        // "--name --" would otherwise take the separator as its value.
        const bool has_value = i + 1 < args_.size() && args_[i + 1] != "--";
        if (has_value) {
          values.push_back(args_[++i]);
          continue;
        }
        return absl::InvalidArgumentError(
            absl::StrCat("--", name, " needs a value (", value_syntax, ")"));
      }
    }
    kept.push_back(a);
  }
  args_ = std::move(kept);
  Rebuild();
  return values;
}

absl::Status NormalizedArgs::CheckFlags() {
  for (size_t i = 1; i < args_.size(); ++i) {
    const std::string& a = args_[i];
    if (a == "--") break;
    if (a.size() < 2 || a[0] != '-') continue;  // positional
    const size_t dashes = a[1] == '-' ? 2 : 1;
    const size_t eq = a.find('=');
    const size_t end = eq == std::string::npos ? a.size() : eq;
    const std::string name = Underscored(a.substr(dashes, end - dashes));
    std::string shown = "--" + a.substr(dashes, end - dashes);
    std::replace(shown.begin(), shown.end(), '_', '-');
    // absl's usage flags (--help, --helpfull, --version, ...) are its own
    // business: it prints and exits.
    if (name == "version" || name == "only_check_args" ||
        absl::StartsWith(name, "help")) {
      return absl::OkStatus();
    }
    absl::CommandLineFlag* flag = absl::FindCommandLineFlag(name);
    if (flag == nullptr) {
      absl::CommandLineFlag* negated =
          name.size() > 2 && name.compare(0, 2, "no") == 0
              ? absl::FindCommandLineFlag(name.substr(2))
              : nullptr;
      if (negated != nullptr && negated->IsOfType<bool>() &&
          eq == std::string::npos) {
        continue;  // --noplaintext
      }
      return absl::InvalidArgumentError(
          absl::StrCat(shown, ": unknown flag (--help lists them)"));
    }
    const std::string dashed = DashedName(*flag);
    std::string value;
    if (eq != std::string::npos) {
      value = a.substr(eq + 1);
    } else if (flag->IsOfType<bool>()) {
      continue;
    } else if (i + 1 < args_.size()) {
      value = args_[++i];
    } else {
      return absl::InvalidArgumentError(
          absl::StrCat(dashed, ": needs a value"));
    }
    // absl's own error text only repeats the flag and the value.
    std::string unused_error;
    if (!flag->ParseFrom(value, &unused_error)) {
      return absl::InvalidArgumentError(
          absl::StrCat(dashed, ": \"", value, "\" is not a valid value"));
    }
  }
  return absl::OkStatus();
}

namespace {

// Flags defined by absl itself live under an absl/ include path.
bool IsProgramFlag(absl::string_view filename) {
  return !absl::StrContains(filename, "absl/");
}

}  // namespace

void SetUsage(absl::string_view usage) {
  absl::SetProgramUsageMessage(absl::StrCat(
      usage,
      "\n\nFlags are written --dashed-names (absl's --underscored_names work "
      "too); --helpfull also lists absl's own flags."));
  absl::FlagsUsageConfig config;
  config.contains_helpshort_flags = IsProgramFlag;
  config.contains_help_flags = IsProgramFlag;
  config.contains_helppackage_flags = IsProgramFlag;
  // "Flags from cmd/va/main.cc", not "../cmd/va/main.cc" (the build's path).
  config.normalize_filename = [](absl::string_view filename) {
    while (absl::ConsumePrefix(&filename, "../") ||
           absl::ConsumePrefix(&filename, "./")) {
    }
    return std::string(filename);
  };
  absl::SetFlagsUsageConfig(config);
}

std::string DashedName(const absl::CommandLineFlag& flag) {
  std::string name = absl::StrCat("--", flag.Name());
  std::replace(name.begin(), name.end(), '_', '-');
  return name;
}

std::string FlagChecks::Show(const std::vector<std::string>& v) {
  return absl::StrJoin(v, ",");
}

void FlagChecks::Add(const absl::CommandLineFlag& flag, absl::string_view rule,
                     absl::string_view got) {
  errors_.push_back(absl::StrCat(DashedName(flag), ": ", rule, " (got ",
                                 got.empty() ? "nothing" : got, ")"));
}

absl::Status FlagChecks::status() const {
  if (errors_.empty()) return absl::OkStatus();
  return absl::InvalidArgumentError(absl::StrJoin(errors_, "; "));
}

}  // namespace acmeva::common
