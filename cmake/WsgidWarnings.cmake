# One interface target carries the language level and warnings, so nothing is set globally.
# Warnings are errors only where the project wants them (its CI and developers, through
# scripts/build.sh): a packager's compiler or build type may warn where ours does not, and that
# must not break their build.
option(WSGID_WERROR "Treat compiler warnings as errors (on in CI and scripts/build.sh)" OFF)
add_library(wsgid_warnings INTERFACE)
add_library(wsgid::warnings ALIAS wsgid_warnings)
target_compile_features(wsgid_warnings INTERFACE cxx_std_20)
target_compile_options(wsgid_warnings INTERFACE
  $<$<COMPILE_LANGUAGE:CXX>:-Wall -Wextra -Wno-missing-field-initializers>
  $<$<AND:$<COMPILE_LANGUAGE:CXX>,$<BOOL:${WSGID_WERROR}>>:-Werror>)
