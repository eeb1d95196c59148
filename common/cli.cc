#include "common/cli.h"

#include <algorithm>

namespace common {
namespace {

std::string Underscored(std::string name) {
  std::replace(name.begin(), name.end(), '-', '_');
  return name;
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
        std::string rebuilt(arg, 0, dashes);
        rebuilt.append(name);
        rebuilt.append(arg, end, std::string::npos);
        arg = std::move(rebuilt);
      }
    }
    args_.push_back(std::move(arg));
  }
  Rebuild();
}

void NormalizedArgs::Rebuild() {
  ptrs_.clear();
  for (auto& a : args_) ptrs_.push_back(a.data());
}

std::vector<std::string> NormalizedArgs::ExtractRepeated(
    const std::string& name) {
  const std::string flag = "--" + Underscored(name);
  const std::string single = "-" + Underscored(name);
  std::vector<std::string> values;
  std::vector<std::string> kept;
  for (size_t i = 0; i < args_.size(); ++i) {
    const std::string& a = args_[i];
    if (i > 0 && (a == flag || a == single) && i + 1 < args_.size()) {
      values.push_back(args_[++i]);
    } else if (i > 0 && (a.rfind(flag + "=", 0) == 0 ||
                         a.rfind(single + "=", 0) == 0)) {
      values.push_back(a.substr(a.find('=') + 1));
    } else {
      kept.push_back(a);
    }
  }
  args_ = std::move(kept);
  Rebuild();
  return values;
}

}  // namespace common
