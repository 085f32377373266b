// What a WSGI application hands start_response(), checked before anything is sent: the status
// line and the header list (PEP 3333: latin-1 str, HTTP tokens, no control characters, no
// hop-by-hop headers). Each failure sets a Python exception with its WSGID code.
#pragma once

#include <Python.h>

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace wsgid::python {

// "200 OK" -> 200, "OK". False with ValueError/TypeError set (WSGID0508).
bool parse_status(PyObject* status, std::uint16_t& code, std::string& reason);

// A list of (name, value) str tuples. False with ValueError/TypeError set (WSGID0508, WSGID0560).
bool parse_headers(PyObject* list, std::vector<std::pair<std::string, std::string>>& out);

}  // namespace wsgid::python
