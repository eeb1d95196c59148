// Av(): std::string_view -> absl::string_view; Sv(): the other way.
//
// Why: Debian 12's Abseil is built with its own absl::string_view (not an
// alias of std::string_view), so absl::StrCat, StrSplit and SimpleAtoi do not
// accept a std::string_view. Code that keeps std::string_view in its
// interfaces converts at those call sites with this one helper.
#ifndef COMMON_STRING_VIEW_BRIDGE_H_
#define COMMON_STRING_VIEW_BRIDGE_H_

#include <string_view>

#include "absl/strings/string_view.h"

namespace acmeva {

inline absl::string_view Av(std::string_view s) { return {s.data(), s.size()}; }
inline std::string_view Sv(absl::string_view s) { return {s.data(), s.size()}; }

}  // namespace acmeva

#endif  // COMMON_STRING_VIEW_BRIDGE_H_
