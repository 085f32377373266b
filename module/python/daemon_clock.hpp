// The daemon's clock for deadlines (CLOCK_MONOTONIC in nanoseconds) and the eventfd wake-up its
// threads use to tell each other something changed.
#pragma once

#include <time.h>
#include <unistd.h>

#include <cstdint>

namespace wsgid::python {

inline std::int64_t now_ns() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return std::int64_t{ts.tv_sec} * 1'000'000'000 + ts.tv_nsec;
}

inline std::int64_t seconds_ns(double s) { return static_cast<std::int64_t>(s * 1e9); }

inline void notify(int efd) {
  const std::uint64_t one = 1;
  [[maybe_unused]] ssize_t n = ::write(efd, &one, sizeof one);
}

}  // namespace wsgid::python
