# One interface target carries the language level and warnings, so nothing is set globally.
add_library(wsgid_warnings INTERFACE)
add_library(wsgid::warnings ALIAS wsgid_warnings)
target_compile_features(wsgid_warnings INTERFACE cxx_std_20)
target_compile_options(wsgid_warnings INTERFACE
  $<$<COMPILE_LANGUAGE:CXX>:-Wall -Wextra -Werror -Wno-missing-field-initializers>)
