#include "response_validation.hpp"

#include <strings.h>

#include <cctype>
#include <cstring>
#include <utility>

#include "py_ref.hpp"

namespace wsgid::python {
namespace {

bool is_tchar(unsigned char c) {
  return std::isalnum(c) || std::strchr("!#$%&'*+-.^_`|~", c) != nullptr;
}

// Latin-1 bytes of a str, or null with TypeError/ValueError set.
bool latin1(PyObject* s, const char* what, std::string& out) {
  if (!PyUnicode_Check(s)) {
    PyErr_Format(PyExc_TypeError, "WSGID0508: %s must be str, not %.100s", what,
                 Py_TYPE(s)->tp_name);
    return false;
  }
  PyRef b = PyRef::steal(PyUnicode_AsLatin1String(s));
  if (!b) {
    PyErr_Clear();
    PyErr_Format(PyExc_ValueError, "WSGID0508: %s %R is not latin-1 encodable", what, s);
    return false;
  }
  out.assign(PyBytes_AS_STRING(b.get()), static_cast<std::size_t>(PyBytes_GET_SIZE(b.get())));
  return true;
}

}  // namespace

bool parse_status(PyObject* status, std::uint16_t& code, std::string& reason) {
  std::string s;
  if (!latin1(status, "status", s)) return false;
  const bool shape_ok = s.size() >= 3 && std::isdigit(static_cast<unsigned char>(s[0])) &&
                        std::isdigit(static_cast<unsigned char>(s[1])) &&
                        std::isdigit(static_cast<unsigned char>(s[2])) && s[0] != '0' &&
                        (s.size() == 3 || s[3] == ' ');
  bool controls = false;
  for (unsigned char c : s) controls |= (c < 0x20 && c != '\t') || c == 0x7f;
  if (!shape_ok || controls) {
    PyErr_Format(PyExc_ValueError,
                 "WSGID0508: status %R is not '<3-digit code> <reason>' (e.g. '200 OK')", status);
    return false;
  }
  code = static_cast<std::uint16_t>(std::stoi(s.substr(0, 3)));
  reason = s.size() > 4 ? s.substr(4) : std::string();
  return true;
}

// RFC 2616 13.5.1's list, which PEP 3333 cites, plus "Trailer" (RFC 7230's spelling): a trailer
// announcement without chunked framing the app does not control would mislead the client.
bool is_hop_by_hop(const std::string& name) {
  for (const char* h : {"Connection", "Keep-Alive", "Proxy-Authenticate", "Proxy-Authorization",
                        "TE", "Trailer", "Trailers", "Transfer-Encoding", "Upgrade"}) {
    if (strcasecmp(name.c_str(), h) == 0) return true;
  }
  return false;
}

bool parse_headers(PyObject* list, std::vector<std::pair<std::string, std::string>>& out) {
  if (!PyList_Check(list)) {
    PyErr_Format(PyExc_TypeError, "WSGID0508: response headers must be a list, not %.100s",
                 Py_TYPE(list)->tp_name);
    return false;
  }
  out.clear();
  for (Py_ssize_t i = 0; i < PyList_GET_SIZE(list); ++i) {
    PyObject* item = PyList_GET_ITEM(list, i);
    if (!PyTuple_Check(item) || PyTuple_GET_SIZE(item) != 2) {
      PyErr_Format(PyExc_TypeError, "WSGID0508: response header %R must be a (name, value) tuple",
                   item);
      return false;
    }
    std::string name, value;
    if (!latin1(PyTuple_GET_ITEM(item, 0), "header name", name) ||
        !latin1(PyTuple_GET_ITEM(item, 1), "header value", value)) {
      return false;
    }
    bool name_ok = !name.empty();
    for (unsigned char c : name) name_ok &= is_tchar(c);
    bool value_ok = true;
    for (unsigned char c : value) value_ok &= !((c < 0x20 && c != '\t') || c == 0x7f);
    if (!name_ok || !value_ok) {
      PyErr_Format(PyExc_ValueError,
                   "WSGID0508: response header %R has a name that is not an HTTP token or a "
                   "value with control characters (CR/LF)",
                   item);
      return false;
    }
    if (is_hop_by_hop(name)) {
      PyErr_Format(PyExc_ValueError,
                   "WSGID0560: response header %R is hop-by-hop, which PEP 3333 forbids a WSGI "
                   "application to send (httpd manages the connection and the framing); remove "
                   "it from the headers passed to start_response()",
                   item);
      return false;
    }
    out.emplace_back(std::move(name), std::move(value));
  }
  return true;
}

}  // namespace wsgid::python
