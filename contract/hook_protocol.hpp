// Python hooks (WSGIAccessScript, WSGIAuthUserScript, WSGIAuthGroupScript, WSGIDispatchScript)
// travel over the ordinary worker <-> in-process daemon exchange: the RequestHead carries the
// hook's environ plus the reserved keys below, and the ResponseHead carries the answer as
// headers. The keys cannot collide with the environ: request headers become HTTP_*, and the
// worker removes any variable starting with "wsgid.hook" before adding its own.
#pragma once

#include <string_view>

namespace wsgid::hook {

// Request keys.
inline constexpr std::string_view kPrefix = "wsgid.hook";
inline constexpr std::string_view kKind = "wsgid.hook";  // one of the kinds below
inline constexpr std::string_view kScript = "wsgid.hook.script";
inline constexpr std::string_view kDirective = "wsgid.hook.directive";  // for messages
inline constexpr std::string_view kUser = "wsgid.hook.user";
inline constexpr std::string_view kPassword = "wsgid.hook.password";
inline constexpr std::string_view kRealm = "wsgid.hook.realm";
inline constexpr std::string_view kHost = "wsgid.hook.host";

// Kinds: the Python function called (dispatch calls up to three).
inline constexpr std::string_view kAllowAccess = "allow_access";
inline constexpr std::string_view kCheckPassword = "check_password";
inline constexpr std::string_view kGetRealmHash = "get_realm_hash";
inline constexpr std::string_view kGroupsForUser = "groups_for_user";
inline constexpr std::string_view kDispatch = "dispatch";

// Response: status 200 with these headers, or status 500 when the hook failed (the Python
// side has logged why, with its code and the traceback).
inline constexpr std::string_view kResult =
    "result";  // allow/deny/none, granted/denied/unknown, found
inline constexpr std::string_view kResultUser = "user";  // check_password answered a user name
inline constexpr std::string_view kResultHash = "hash";
inline constexpr std::string_view kResultGroup = "group";  // one per group
inline constexpr std::string_view kProcessGroup = "process_group";
inline constexpr std::string_view kApplicationGroup = "application_group";
inline constexpr std::string_view kCallableObject = "callable_object";

}  // namespace wsgid::hook
