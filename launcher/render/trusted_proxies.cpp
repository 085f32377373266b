#include "trusted_proxies.hpp"

#include <string>

#include "directive_arg.hpp"

namespace wsgid::render {
namespace {

// True when the TCP peer (not the address mod_remoteip derived) is one of the proxies. The
// networks passed validation: digits, hex, '.', ':' and '/' only, safe inside '…'.
std::string peer_is_trusted(const std::vector<std::string>& networks) {
  std::string expr;
  for (const auto& network : networks) {
    if (!expr.empty()) expr += " || ";
    expr += "%{CONN_REMOTE_ADDR} -ipmatch '" + network + "'";
  }
  return "(" + expr + ")";
}

}  // namespace

void trusted_proxies(ConfWriter& w, const profile::Server& server) {
  if (server.trusted_proxies.empty()) return;
  const std::string trusted = peer_is_trusted(server.trusted_proxies);
  w.comment("Behind a proxy (server.trusted_proxies). From these peers only, the client address");
  w.comment("is the last X-Forwarded-For entry no proxy added (REMOTE_ADDR, %a/%h, Require ip),");
  w.comment("and X-Forwarded-Proto's last value \"https\" sets HTTPS=on (wsgi.url_scheme https).");
  w.comment(
      "InternalProxy, not TrustedProxy: a client with a private address is still the client.");
  w.directive("RemoteIPHeader", "X-Forwarded-For");
  std::string proxies;
  for (const auto& network : server.trusted_proxies) {
    proxies += (proxies.empty() ? "" : " ") + directive_arg(network);
  }
  w.directive("RemoteIPInternalProxy", proxies);
  w.directive("SetEnvIfExpr", directive_arg(trusted + " && %{HTTP:X-Forwarded-Proto} =~ "
                                                      "/(^|,)[[:space:]]*https[[:space:]]*$/i") +
                                  " HTTPS=on");
  w.comment("From anyone else the headers are dropped, so no app can be fooled by them either.");
  for (const char* header : {"X-Forwarded-For", "X-Forwarded-Proto"}) {
    w.directive("RequestHeader",
                std::string("unset ") + header + " " + directive_arg("expr=! " + trusted));
  }
  w.blank();
}

}  // namespace wsgid::render
