// A file of NUL-terminated records written by the launcher for the httpd side to read: a
// group's env-file= (NAME=VALUE, read by each daemon) and settings-file= (option=value, read by
// the parent). Both may hold secrets, so both are refused unless owned by who started httpd and
// closed to everyone else.
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <functional>
#include <string>

namespace wsgid {

// The codes to report each kind of failure with, and the option's name for the messages.
struct RecordsFileKind {
  const char* option;      // "env-file", "settings-file"
  const char* unreadable;  // cannot open, stat or read; not a regular file of at most 1 MiB
  const char* refused;     // wrong owner or mode
  const char* malformed;   // a record not terminated by NUL, or refused by `each`
};

// Called with each record (NUL-terminated, writable in place) and its number from 1. Returns
// false after filling `error` (never with a value: values may be secrets) to stop the reading.
using RecordVisitor = std::function<bool(char* record, std::size_t number, std::string& error)>;

// Reads `path` (opened without following a symlink), checks its owner is `owner` and that it
// grants nothing to group or others, then visits each record. Returns nullptr, or the code of
// the failure with `error` naming the file and the fix. The buffer is wiped afterwards.
const char* read_records_file(const char* path, uid_t owner, const RecordsFileKind& kind,
                              std::string& error, const RecordVisitor& each);

}  // namespace wsgid
