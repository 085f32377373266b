// Stable diagnostic codes for profile errors. Each is documented in docs/profile-reference.md;
// never renumber or reuse one.
#pragma once

#include <string_view>

namespace wsgid::profile::code {

inline constexpr std::string_view kUnreadable = "WSGID1000";
inline constexpr std::string_view kSyntax = "WSGID1001";
inline constexpr std::string_view kUnknownKey = "WSGID1002";
inline constexpr std::string_view kWrongType = "WSGID1003";
inline constexpr std::string_view kMissingKey = "WSGID1004";
inline constexpr std::string_view kControlCharacter = "WSGID1005";
inline constexpr std::string_view kArrayLength = "WSGID1006";
inline constexpr std::string_view kBadDuration = "WSGID1010";
inline constexpr std::string_view kBadSize = "WSGID1011";
inline constexpr std::string_view kOutOfRange = "WSGID1012";
inline constexpr std::string_view kBadListen = "WSGID1013";
inline constexpr std::string_view kNotOneOf = "WSGID1014";
inline constexpr std::string_view kMissingPath = "WSGID1015";
inline constexpr std::string_view kBadName = "WSGID1016";
inline constexpr std::string_view kBadHostName = "WSGID1017";
inline constexpr std::string_view kBadApp = "WSGID1018";
inline constexpr std::string_view kBadUrlPath = "WSGID1019";
inline constexpr std::string_view kBadEnvName = "WSGID1020";
inline constexpr std::string_view kDuplicateSite = "WSGID1021";
inline constexpr std::string_view kDuplicateServerName = "WSGID1022";
inline constexpr std::string_view kPythonVersion = "WSGID1023";
// WSGID1024 is reserved; sandbox names are reported with the sandbox library's WSGID3xxx codes.
inline constexpr std::string_view kDuplicateListen = "WSGID1025";
inline constexpr std::string_view kBadPathCharacter = "WSGID1026";
inline constexpr std::string_view kDuplicateMount = "WSGID1027";
inline constexpr std::string_view kBadDisplayName = "WSGID1028";
inline constexpr std::string_view kBadClientNetwork = "WSGID1029";
inline constexpr std::string_view kHealthPathConflict = "WSGID1030";
inline constexpr std::string_view kRelativeSandboxPath = "WSGID1040";
inline constexpr std::string_view kJitterWithoutMaximum = "WSGID1090";
// WSGID1050-1069: hostile or oversized input, each ended with its code, never a crash.
inline constexpr std::string_view kTooLong = "WSGID1050";
inline constexpr std::string_view kNotRegularFile = "WSGID1051";
inline constexpr std::string_view kFileTooLarge = "WSGID1052";
inline constexpr std::string_view kProfilePathCharacter = "WSGID1053";
inline constexpr std::string_view kUnknownAccount = "WSGID1054";
inline constexpr std::string_view kRootAccount = "WSGID1055";
inline constexpr std::string_view kGlobCharacter = "WSGID1056";
inline constexpr std::string_view kSecondDefaultSite = "WSGID1080";
inline constexpr std::string_view kBadHtpasswd = "WSGID1081";
inline constexpr std::string_view kBadRealm = "WSGID1082";
// WSGID1120-1139: behind a proxy, compression, Python auth hooks (issue 14 items 3, 4, 5).
inline constexpr std::string_view kTrustEveryone = "WSGID1120";
inline constexpr std::string_view kBadPythonHook = "WSGID1121";
inline constexpr std::string_view kNoPythonHook = "WSGID1122";
inline constexpr std::string_view kGroupsWithoutHook = "WSGID1123";
inline constexpr std::string_view kGroupsWithoutPassword = "WSGID1124";
inline constexpr std::string_view kTwoPasswordChecks = "WSGID1125";
inline constexpr std::string_view kBadGroupName = "WSGID1126";

}  // namespace wsgid::profile::code
