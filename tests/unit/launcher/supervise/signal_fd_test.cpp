#include "supervise/signal_fd.hpp"

#include <gtest/gtest.h>

namespace wsgid::supervise {
namespace {

TEST(SignalFd, DeliversABlockedSignalAsAnEvent) {
  SignalFd signals({SIGUSR2});
  ASSERT_EQ(::raise(SIGUSR2), 0);
  EXPECT_EQ(signals.wait(5000), SIGUSR2);
  EXPECT_FALSE(signals.read_one());
}

TEST(SignalFd, TimesOutWhenNothingArrives) {
  SignalFd signals({SIGUSR2});
  EXPECT_FALSE(signals.wait(0));
}

TEST(SignalFd, RestoresTheSignalMaskWhenDestroyed) {
  { SignalFd signals({SIGUSR2}); }
  sigset_t mask;
  pthread_sigmask(SIG_SETMASK, nullptr, &mask);
  EXPECT_EQ(sigismember(&mask, SIGUSR2), 0);
}

}  // namespace
}  // namespace wsgid::supervise
