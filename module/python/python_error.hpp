// Turning the pending Python exception into log text, so every failure in user code is logged
// with its traceback rather than printed somewhere we do not control.
#pragma once

#include <string>

namespace wsgid::python {

// Formats and clears the current exception ("" if none). Needs the GIL.
std::string take_exception_text();

}  // namespace wsgid::python
