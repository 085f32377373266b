# The module embeds the Python that httpd's daemons will load: by default the distribution's
# /usr/bin/python3 (Debian 12: 3.11, Debian 13: 3.13), never a pyenv or venv python that
# happens to be first on PATH. Another one: -DWSGID_PYTHON=/usr/bin/python3.12.
include(WsgidPythonVersion)
set(WSGID_PYTHON /usr/bin/python3 CACHE FILEPATH
  "CPython the module embeds (its libpython and headers must be installed)")
set(Python3_EXECUTABLE "${WSGID_PYTHON}" CACHE FILEPATH "Python the module embeds" FORCE)
set(Python3_FIND_STRATEGY LOCATION)
set(Python3_FIND_VIRTUALENV STANDARD)

# Ask the interpreter itself first, so an unsupported version is refused by name before
# FindPython reports a missing component of it.
execute_process(
  COMMAND "${WSGID_PYTHON}" -c "import sys; print('%d.%d.%d' % sys.version_info[:3])"
  OUTPUT_VARIABLE _wsgid_python_full OUTPUT_STRIP_TRAILING_WHITESPACE
  RESULT_VARIABLE _wsgid_python_result ERROR_QUIET)
if(NOT _wsgid_python_result EQUAL 0 OR NOT _wsgid_python_full MATCHES "^[0-9]+\\.[0-9]+\\.[0-9]+$")
  message(FATAL_ERROR "WSGID_PYTHON=${WSGID_PYTHON} does not run as a Python interpreter; "
    "configure with -DWSGID_PYTHON=/usr/bin/python3 (or another CPython ${WSGID_PYTHON_MIN} "
    "to ${WSGID_PYTHON_MAX})")
endif()
wsgid_check_python_version("${WSGID_PYTHON}" "${_wsgid_python_full}")

find_package(Python3 REQUIRED COMPONENTS Interpreter Development.Embed)
set(WSGID_PYTHON_VERSION "${Python3_VERSION_MAJOR}.${Python3_VERSION_MINOR}")
set(WSGID_PYTHON_VERSION_FULL "${Python3_VERSION}")
if(NOT Python3_VERSION VERSION_EQUAL _wsgid_python_full OR
   NOT Python3_LIBRARIES MATCHES "libpython${WSGID_PYTHON_VERSION}")
  message(FATAL_ERROR "WSGID_PYTHON=${WSGID_PYTHON} is CPython ${_wsgid_python_full} but the "
    "embedding library found is ${Python3_LIBRARIES} (${Python3_VERSION}); install "
    "libpython${WSGID_PYTHON_VERSION}-dev")
endif()
message(STATUS "wsgid embeds CPython ${WSGID_PYTHON_VERSION_FULL} (${WSGID_PYTHON}, ${Python3_LIBRARIES})")
