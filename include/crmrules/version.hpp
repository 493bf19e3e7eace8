// crmrules version. CMakeLists.txt reads the numbers from this file: change them only here.
#pragma once

#define CRMRULES_VERSION_MAJOR 0
#define CRMRULES_VERSION_MINOR 1
#define CRMRULES_VERSION_PATCH 0

namespace crmrules {
/// "0.1.0"
inline constexpr const char* version_string = "0.1.0";
}  // namespace crmrules
