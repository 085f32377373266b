// The response rings this worker child has mapped, one per daemon connection (by descriptor).
// A ring is made once per connection by the daemon and sent again with every response that
// uses it; mapping and unmapping it per response costs more than the copies the ring saves
// (page-table updates and a TLB shootdown per response), so the mapping stays with the
// connection, in the pool too, until the connection is closed.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "shared_ring.hpp"

namespace wsgid {

// The ring whose memfd (`memfd`, which this closes) came on connection `connection`: the one
// already mapped when it is the same memfd (device and inode) of the same size, else a new
// mapping after ring::RingReader::attach's checks. Null, with `why`, when those fail. The
// mapping lives as long as any holder: an exchange still passing its last bytes keeps it even
// if the connection has moved on.
std::shared_ptr<ring::RingReader> ring_for_connection(int connection, int memfd, std::uint32_t size,
                                                      std::string& why);
// Before `connection` is closed: its mapping goes when its last holder lets go.
void forget_ring(int connection);

}  // namespace wsgid
