# Finds httpd's headers and APR through the tools Debian's apache2-dev ships (apxs,
# apr-1-config, apu-1-config) and exposes them as imported targets:
#   Apache::apr    - APR/APR-util headers and compile definitions (no link: httpd provides them)
#   Apache::httpd  - httpd headers plus Apache::apr
# Also sets APACHE_MODULES_DIR and APACHE_HTTPD (the server binary, for tests).
find_program(APXS_EXECUTABLE NAMES apxs apxs2)
find_program(APR_CONFIG_EXECUTABLE NAMES apr-1-config)
find_program(APU_CONFIG_EXECUTABLE NAMES apu-1-config)
find_program(APACHE_HTTPD NAMES apache2 httpd PATHS /usr/sbin NO_DEFAULT_PATH)
find_program(APACHE_HTTPD NAMES apache2 httpd)

if(APXS_EXECUTABLE AND APR_CONFIG_EXECUTABLE)
  execute_process(COMMAND ${APXS_EXECUTABLE} -q INCLUDEDIR OUTPUT_VARIABLE APACHE_INCLUDE_DIR
                  OUTPUT_STRIP_TRAILING_WHITESPACE)
  execute_process(COMMAND ${APXS_EXECUTABLE} -q LIBEXECDIR OUTPUT_VARIABLE APACHE_MODULES_DIR
                  OUTPUT_STRIP_TRAILING_WHITESPACE)
  execute_process(COMMAND ${APR_CONFIG_EXECUTABLE} --includedir OUTPUT_VARIABLE APR_INCLUDE_DIR
                  OUTPUT_STRIP_TRAILING_WHITESPACE)
  execute_process(COMMAND ${APR_CONFIG_EXECUTABLE} --cppflags OUTPUT_VARIABLE APR_CPPFLAGS
                  OUTPUT_STRIP_TRAILING_WHITESPACE)
  if(APU_CONFIG_EXECUTABLE)
    execute_process(COMMAND ${APU_CONFIG_EXECUTABLE} --includedir OUTPUT_VARIABLE APU_INCLUDE_DIR
                    OUTPUT_STRIP_TRAILING_WHITESPACE)
  endif()
  separate_arguments(APR_CPPFLAGS UNIX_COMMAND "${APR_CPPFLAGS}")
  set(APR_DEFINITIONS)
  foreach(flag IN LISTS APR_CPPFLAGS)
    if(flag MATCHES "^-D(.*)")
      list(APPEND APR_DEFINITIONS "${CMAKE_MATCH_1}")
    endif()
  endforeach()
endif()

include(FindPackageHandleStandardArgs)
find_package_handle_standard_args(Apache
  REQUIRED_VARS APXS_EXECUTABLE APACHE_INCLUDE_DIR APR_INCLUDE_DIR APACHE_MODULES_DIR APACHE_HTTPD)

if(Apache_FOUND AND NOT TARGET Apache::httpd)
  add_library(Apache::apr INTERFACE IMPORTED)
  set_target_properties(Apache::apr PROPERTIES
    INTERFACE_INCLUDE_DIRECTORIES "${APR_INCLUDE_DIR};${APU_INCLUDE_DIR}"
    INTERFACE_COMPILE_DEFINITIONS "${APR_DEFINITIONS}")
  add_library(Apache::httpd INTERFACE IMPORTED)
  set_target_properties(Apache::httpd PROPERTIES
    INTERFACE_INCLUDE_DIRECTORIES "${APACHE_INCLUDE_DIR}"
    INTERFACE_LINK_LIBRARIES Apache::apr)
endif()
