// Waiting for a condition with a deadline: the one way tests wait for another process.
#pragma once

#include <chrono>
#include <functional>
#include <thread>

namespace wsgid::testing {

using Clock = std::chrono::steady_clock;

// Polls `condition` every `interval` until it holds or `limit` passes; the result of a last
// check. For what gives no notification to block on: another process's files, shared memory,
// /proc.
inline bool eventually(const std::function<bool()>& condition,
                       std::chrono::milliseconds limit = std::chrono::seconds(30),
                       std::chrono::milliseconds interval = std::chrono::milliseconds(20)) {
  const auto deadline = Clock::now() + limit;
  while (Clock::now() < deadline) {
    if (condition()) return true;
    std::this_thread::sleep_for(interval);
  }
  return condition();
}

}  // namespace wsgid::testing
