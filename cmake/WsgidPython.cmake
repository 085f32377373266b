# The module embeds Debian's CPython. A pyenv or venv python first on PATH must not win:
# httpd's daemons load Debian's libpython3.11, so we compile against exactly that.
set(Python3_EXECUTABLE /usr/bin/python3 CACHE FILEPATH "Python the module embeds")
set(Python3_FIND_STRATEGY LOCATION)
set(Python3_FIND_VIRTUALENV STANDARD)
find_package(Python3 3.11 EXACT REQUIRED COMPONENTS Interpreter Development.Embed)
if(NOT Python3_LIBRARIES MATCHES "libpython3\\.11")
  message(FATAL_ERROR "wsgid embeds libpython3.11 (Debian python3-dev); found ${Python3_LIBRARIES}")
endif()
