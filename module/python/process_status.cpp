#include "process_status.hpp"

#include <time.h>
#include <unistd.h>

#include <charconv>

namespace wsgid::python {

std::int64_t realtime_us() {
  timespec ts{};
  clock_gettime(CLOCK_REALTIME, &ts);
  return std::int64_t{ts.tv_sec} * 1'000'000 + ts.tv_nsec / 1000;
}

void ProcessStatus::starting(int threads) const {
  if (process_ == nullptr) return;
  __atomic_store_n(&process_->pid, static_cast<std::int32_t>(::getpid()), __ATOMIC_RELAXED);
  __atomic_store_n(&process_->threads, static_cast<std::int32_t>(threads), __ATOMIC_RELAXED);
}

void ProcessStatus::ready() const {
  if (group_ != nullptr) {
    __atomic_store_n(&group_->startup_failed_at_us, std::int64_t{0}, __ATOMIC_RELEASE);
  }
  if (process_ == nullptr) return;
  __atomic_store_n(&process_->state, std::int32_t{WSGID_PROCESS_READY}, __ATOMIC_RELAXED);
}

void ProcessStatus::draining() const {
  if (process_ == nullptr) return;
  __atomic_store_n(&process_->state, std::int32_t{WSGID_PROCESS_DRAINING}, __ATOMIC_RELAXED);
}

void ProcessStatus::exiting(wsgid_exit_reason reason) const {
  if (process_ == nullptr) return;
  __atomic_store_n(&process_->exit_reason, static_cast<std::int32_t>(reason), __ATOMIC_RELAXED);
}

void ProcessStatus::startup_failed(std::string_view cause) const {
  if (group_ == nullptr) return;
  wsgid_record_startup_failure(group_, cause.data(), cause.size(), realtime_us());
}

std::int64_t ProcessStatus::observe_queue_wait(std::string_view queue_start,
                                               std::int64_t accepted_us) const {
  if (queue_start.empty()) return -1;
  std::int64_t start = 0;
  const auto [end, ec] =
      std::from_chars(queue_start.data(), queue_start.data() + queue_start.size(), start);
  if (ec != std::errc() || end != queue_start.data() + queue_start.size()) return -1;
  // The worker's clock and ours are the same clock, but it may step between the two reads.
  const std::int64_t waited = accepted_us > start ? accepted_us - start : 0;
  if (group_ != nullptr) {
    wsgid_histogram_observe(&group_->queue_wait, static_cast<std::uint64_t>(waited));
  }
  return waited;
}

ProcessStatus::Request::Request(const ProcessStatus& status) : process_(status.process_) {
  if (process_ == nullptr) return;
  __atomic_fetch_add(&process_->busy_threads, 1, __ATOMIC_RELAXED);
}

ProcessStatus::Request::~Request() {
  if (process_ == nullptr) return;
  __atomic_fetch_add(&process_->requests, 1, __ATOMIC_RELAXED);
  __atomic_fetch_sub(&process_->busy_threads, 1, __ATOMIC_RELAXED);
}

}  // namespace wsgid::python
