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
endfunction()
