// A thread with a chosen stack size (stack-size=), which std::thread cannot give. Joined when
// destroyed.
#pragma once

#include <pthread.h>

#include <cstddef>
#include <functional>
#include <memory>

namespace wsgid::python {

class SizedThread {
 public:
  // Throws std::runtime_error when the thread cannot be created; a stack size the system
  // refuses is logged and the default used.
  SizedThread(std::size_t stack_size, std::function<void()> body);
  ~SizedThread() { join(); }
  SizedThread(const SizedThread&) = delete;
  SizedThread& operator=(const SizedThread&) = delete;
  void join();

 private:
  static void* trampoline(void* arg);
  std::unique_ptr<std::function<void()>> body_;
  pthread_t thread_{};
  bool joinable_ = false;
};

}  // namespace wsgid::python
