#include "profile/htpasswd.hpp"

#include <gtest/gtest.h>

using wsgid::profile::htpasswd_problem;

namespace {

constexpr const char* kAlice = "alice:$2y$05$o8sWa8VIQbEiB3xwKNnbse776cDR3ajl41hFKebXA1ACICIP3iBJ.";

TEST(Htpasswd, AcceptsBcryptLinesCommentsAndBlankLines) {
  EXPECT_EQ(htpasswd_problem(std::string("# team\n") + kAlice + "\r\n\n"), std::nullopt);
}

TEST(Htpasswd, RefusesEveryWeakerHashNamingTheLineAndUser) {
  for (const char* weak :
       {"bob:$apr1$salt$0123456789012345678901",
        "bob:{SHA}abcdefghijklmnopqrstuvwxyz0=", "bob:abGJ5hBu8n1iA", "bob:plain"}) {
    const auto problem = htpasswd_problem(std::string(kAlice) + "\n" + weak + "\n");
    ASSERT_TRUE(problem.has_value()) << weak;
    EXPECT_NE(problem->find("line 2 (user \"bob\")"), std::string::npos) << *problem;
  }
}

TEST(Htpasswd, RefusesAFileWithoutUsers) {
  ASSERT_TRUE(htpasswd_problem("# nobody yet\n").has_value());
  EXPECT_NE(htpasswd_problem("no colon here")->find("line 1 is not"), std::string::npos);
}

}  // namespace
