# Warnings for crmrules' own targets only; nothing here reaches a consumer's targets.
# Also pins strict ISO C++ (no GNU extensions, which permit floating-point contraction that can
# change results between platforms) on our targets only.
function(crmrules_target_warnings target)
  set_target_properties(${target} PROPERTIES CXX_EXTENSIONS OFF)
  if(CMAKE_CXX_COMPILER_ID MATCHES "GNU|Clang")
    target_compile_options(${target} PRIVATE -Wall -Wextra -Wpedantic -Wconversion -Wshadow)
    if(CRMRULES_WARNINGS_AS_ERRORS)
      target_compile_options(${target} PRIVATE -Werror)
    endif()
  endif()
  # GCC 12 at -O2 reports false positives inside libstdc++ code inlined into ours:
  # -Wrestrict on `"literal" + std::string&&` (GCC PR 105329, "accessing 9223372036854775810 or
  # more bytes") and -Wmaybe-uninitialized on moves of std::string inside std::variant and
  # aggregates. Both are fixed in GCC 13. The dev (-O0) and asan (-O1) presets keep both
  # warnings on, with -Werror, so real cases are still caught there.
  if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU" AND CMAKE_CXX_COMPILER_VERSION VERSION_LESS 13)
    target_compile_options(${target} PRIVATE
      $<$<NOT:$<CONFIG:Debug>>:-Wno-restrict -Wno-maybe-uninitialized>)
  endif()
endfunction()
