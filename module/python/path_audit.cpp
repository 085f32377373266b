#include "path_audit.hpp"

#include "py_ref.hpp"

#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <unistd.h>

#include <mutex>
#include <string_view>
#include <unordered_set>

#include "error_log.hpp"

namespace wsgid::python {
namespace {

// An app that walks a large tree outside the lists would otherwise fill the log.
constexpr std::size_t kMaxReported = 200;

struct Audit {
  std::string who;
  std::vector<std::string> read;   // resolved; reading is allowed beneath read and write
  std::vector<std::string> write;  // resolved
  std::mutex mutex;
  std::unordered_set<std::string> reported;
};

Audit* g_audit = nullptr;  // lives as long as the process: the hook cannot be removed

bool beneath(const std::string& path, const std::vector<std::string>& roots) {
  for (const std::string& root : roots) {
    if (root == "/" || path == root ||
        (path.size() > root.size() && path.compare(0, root.size(), root) == 0 &&
         path[root.size()] == '/')) {
      return true;
    }
  }
  return false;
}

// As Landlock sees it: symbolic links resolved; a file about to be created by its directory.
std::string resolved(const std::string& path) {
  char buf[PATH_MAX];
  if (realpath(path.c_str(), buf) != nullptr) return buf;
  const std::size_t slash = path.rfind('/');
  if (slash == std::string::npos || slash == 0) return path;
  if (realpath(path.substr(0, slash).c_str(), buf) != nullptr) {
    return std::string(buf) + path.substr(slash);
  }
  return path;
}

// The path an event names, absolute; empty for descriptors and what is not a path.
std::string path_of(PyObject* arg) {
  if (arg == Py_None) arg = nullptr;  // os.listdir() / os.scandir(): the working directory
  std::string path;
  if (arg == nullptr) {
    path = ".";
  } else if (PyLong_Check(arg)) {
    return {};
  } else {
    PyRef fs = PyRef::steal(PyOS_FSPath(arg));
    PyRef bytes =
        fs && PyUnicode_Check(fs.get()) ? PyRef::steal(PyUnicode_EncodeFSDefault(fs.get())) : fs;
    if (!bytes || !PyBytes_Check(bytes.get())) {
      PyErr_Clear();
      return {};
    }
    path.assign(PyBytes_AS_STRING(bytes.get()),
                static_cast<std::size_t>(PyBytes_GET_SIZE(bytes.get())));
  }
  if (path.empty()) return {};
  if (path[0] != '/') {
    char cwd[PATH_MAX];
    if (getcwd(cwd, sizeof cwd) == nullptr) return {};
    path = std::string(cwd) + "/" + path;
  }
  return resolved(path);
}

void check(const std::string& path, bool writing) {
  if (path.empty()) return;
  if (beneath(path, g_audit->write)) return;
  if (!writing && beneath(path, g_audit->read)) return;
  std::lock_guard<std::mutex> lock(g_audit->mutex);
  const std::string key = (writing ? "w:" : "r:") + path;
  if (g_audit->reported.size() > kMaxReported || !g_audit->reported.insert(key).second) return;
  if (g_audit->reported.size() > kMaxReported) {
    log_line(LogLevel::kWarn, "WSGID0552: " + g_audit->who + ": sandbox learning mode: more than " +
                                  std::to_string(kMaxReported) +
                                  " paths would be refused; no more are logged");
    return;
  }
  log_line(LogLevel::kWarn,
           "WSGID0552: " + g_audit->who +
               ": sandbox learning mode: " + (writing ? "writing " : "reading ") + path +
               " would be refused by the filesystem scope; to allow it, add it or a directory "
               "above it to sandbox." +
               (writing ? "write" : "read") + " (sandbox-" + (writing ? "write" : "read") + "=)");
}

bool opens_for_writing(PyObject* args) {
  if (PyTuple_GET_SIZE(args) < 3) return false;
  const long flags = PyLong_AsLong(PyTuple_GET_ITEM(args, 2));
  if (flags == -1 && PyErr_Occurred()) {
    PyErr_Clear();
    return false;
  }
  return (flags & (O_WRONLY | O_RDWR | O_CREAT | O_TRUNC | O_APPEND)) != 0;
}

int hook(const char* event, PyObject* args, void*) {
  const std::string_view e(event);
  if (!PyTuple_Check(args) || PyTuple_GET_SIZE(args) < 1) {
    if (e == "os.listdir" || e == "os.scandir") check(path_of(nullptr), false);
    return 0;
  }
  PyObject* first = PyTuple_GET_ITEM(args, 0);
  if (e == "open") {
    check(path_of(first), opens_for_writing(args));
  } else if (e == "os.listdir" || e == "os.scandir") {
    check(path_of(first), false);
  } else if (e == "os.mkdir" || e == "os.remove" || e == "os.rmdir" || e == "os.truncate" ||
             e == "os.chmod" || e == "os.utime") {
    check(path_of(first), true);
  } else if (e == "os.rename" || e == "os.link" || e == "os.symlink") {
    if (e != "os.symlink") check(path_of(first), true);
    if (PyTuple_GET_SIZE(args) >= 2) check(path_of(PyTuple_GET_ITEM(args, 1)), true);
  }
  return 0;
}

std::vector<std::string> resolved_all(std::vector<std::string> paths) {
  for (std::string& p : paths) p = resolved(p);
  return paths;
}

}  // namespace

void install_path_audit(std::string who, std::vector<std::string> read,
                        std::vector<std::string> write) {
  if (g_audit != nullptr) return;
  g_audit = new Audit{
      std::move(who), resolved_all(std::move(read)), resolved_all(std::move(write)), {}, {}};
  if (PySys_AddAuditHook(hook, nullptr) != 0) PyErr_Clear();
}

}  // namespace wsgid::python
