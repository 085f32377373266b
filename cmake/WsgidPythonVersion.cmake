# The CPython versions wsgid embeds: the ones module/python/python_compat.hpp is written and
# tested for (Debian 12's 3.11, Debian 13's 3.13, and 3.12 between them). Kept apart from the
# find logic so tests/cmake can check the refusal with `cmake -P`.
set(WSGID_PYTHON_MIN 3.11)
set(WSGID_PYTHON_MAX 3.13)

# Fails the configure step, naming the interpreter and the fix, for a version outside the set.
function(wsgid_check_python_version executable version)
  if(version VERSION_LESS WSGID_PYTHON_MIN OR version VERSION_GREATER_EQUAL 3.14)
    message(FATAL_ERROR
      "WSGID_PYTHON=${executable} is CPython ${version}; wsgid embeds CPython "
      "${WSGID_PYTHON_MIN} to ${WSGID_PYTHON_MAX}. Install a supported one and its "
      "development files (Debian 12: python3 python3-dev, 3.11; Debian 13: python3 python3-dev, "
      "3.13) and configure with -DWSGID_PYTHON=/usr/bin/python3.X.")
  endif()
endfunction()

# cmake -DVERSION=3.10 -P cmake/WsgidPythonVersion.cmake: the check alone, for tests.
if(CMAKE_SCRIPT_MODE_FILE STREQUAL CMAKE_CURRENT_LIST_FILE)
  wsgid_check_python_version("${EXECUTABLE}" "${VERSION}")
  message(STATUS "CPython ${VERSION} is supported")
endif()
