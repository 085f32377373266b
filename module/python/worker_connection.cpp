#include "worker_connection.hpp"

#include <string_view>

#include "error_log.hpp"
#include "wire_protocol.hpp"

namespace wsgid::python {

void refuse(const std::string& who, const Peer& peer, const Refusal& why) {
  log_line(LogLevel::kError, std::string(why.code) + ": " + who + " refused a connection from " +
                                 peer.describe() + ": " + why.reason);
}

Refusal no_hello() {
  return Refusal{"WSGID0542", "it sent no Hello within " +
                                  std::to_string(kHelloTimeoutNs / 1'000'000'000) +
                                  " s of connecting"};
}

// A peer that connects and says nothing is parked like an idle connection, not waited for in a
// request thread, and closed after kHelloTimeoutNs (ParkingLot::close_idle).
Greeting greet(WorkerConnection& wc, const PeerPolicy& policy, const std::string& who) {
  std::string_view payload;
  wire::FrameHeader h;
  try {
    if (!wc.conn.try_read_frame(h, payload, wire::kHelloPayloadSize)) return Greeting::kWaiting;
  } catch (const ConnectionError& e) {
    if (e.kind() == ConnectionError::Kind::kProtocol) {
      refuse(who, wc.peer,
             Refusal{"WSGID0540", std::string("its first frame is not a Hello (") + e.what() +
                                      "): not an httpd worker"});
    }  // else it went away before saying anything
    return Greeting::kRefused;
  }
  if (auto why = policy.check_hello(h.type == wire::FrameType::kHello, payload)) {
    refuse(who, wc.peer, *why);
    return Greeting::kRefused;
  }
  wc.greeted = true;
  return Greeting::kGreeted;
}

}  // namespace wsgid::python
