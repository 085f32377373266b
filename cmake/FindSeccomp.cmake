# libseccomp (Debian libseccomp-dev) as Seccomp::seccomp.
find_path(SECCOMP_INCLUDE_DIR NAMES seccomp.h)
find_library(SECCOMP_LIBRARY NAMES seccomp)
include(FindPackageHandleStandardArgs)
find_package_handle_standard_args(Seccomp REQUIRED_VARS SECCOMP_LIBRARY SECCOMP_INCLUDE_DIR)
if(Seccomp_FOUND AND NOT TARGET Seccomp::seccomp)
  add_library(Seccomp::seccomp UNKNOWN IMPORTED)
  set_target_properties(Seccomp::seccomp PROPERTIES
    IMPORTED_LOCATION "${SECCOMP_LIBRARY}"
    INTERFACE_INCLUDE_DIRECTORIES "${SECCOMP_INCLUDE_DIR}")
endif()
