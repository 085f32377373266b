#include "sized_thread.hpp"

#include <cstring>
#include <stdexcept>
#include <string>
#include <utility>

#include "error_log.hpp"

namespace wsgid::python {

SizedThread::SizedThread(std::size_t stack_size, std::function<void()> body)
    : body_(std::make_unique<std::function<void()>>(std::move(body))) {
  pthread_attr_t attr;
  pthread_attr_init(&attr);
  if (stack_size > 0 && pthread_attr_setstacksize(&attr, stack_size) != 0) {
    log_line(LogLevel::kWarn, "wsgid: stack-size=" + std::to_string(stack_size) +
                                  " refused by the system; using the default");
  }
  const int rc = pthread_create(&thread_, &attr, &SizedThread::trampoline, body_.get());
  pthread_attr_destroy(&attr);
  if (rc != 0) throw std::runtime_error(std::string("pthread_create: ") + std::strerror(rc));
  joinable_ = true;
}

void SizedThread::join() {
  if (joinable_) pthread_join(thread_, nullptr);
  joinable_ = false;
}

void* SizedThread::trampoline(void* arg) {
  (*static_cast<std::function<void()>*>(arg))();
  return nullptr;
}

}  // namespace wsgid::python
