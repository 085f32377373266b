// What a site's basic_auth.htpasswd file must hold: "user:bcrypt-hash" lines only. httpd would
// also accept MD5-crypt, SHA-1 and crypt(3) hashes, which are cheap to brute-force from a
// leaked file; refusing them at `wsgid check` keeps every deployed file bcrypt.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

namespace wsgid::profile {

// Nothing when `content` is acceptable, else what is wrong, naming the 1-based line.
std::optional<std::string> htpasswd_problem(std::string_view content);

// Reads the file first; an unreadable file is a problem too.
std::optional<std::string> htpasswd_file_problem(const std::filesystem::path& file);

}  // namespace wsgid::profile
