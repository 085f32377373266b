#include "status/prometheus_text.hpp"

#include <gtest/gtest.h>

#include <cmath>

namespace wsgid::status {
namespace {

TEST(ParsePrometheusText, ReadsSamplesWithLabelsAndSkipsComments) {
  const auto parsed = parse_prometheus_text(
      "# HELP wsgid_requests_total Requests answered, by HTTP status class.\n"
      "# TYPE wsgid_requests_total counter\n"
      "wsgid_requests_total{group=\"shop\",class=\"2xx\"} 37\n"
      "\n"
      "wsgid_httpd_workers{state=\"idle\"} 48 1700000000000\n"
      "up 1\n");
  ASSERT_EQ(parsed.error, "");
  ASSERT_EQ(parsed.samples.size(), 3U);
  const Sample& first = parsed.samples[0];
  EXPECT_EQ(first.name, "wsgid_requests_total");
  EXPECT_EQ(first.label("group"), "shop");
  EXPECT_EQ(first.label("class"), "2xx");
  EXPECT_FALSE(first.label("cause"));
  EXPECT_EQ(first.value, 37);
  EXPECT_EQ(parsed.samples[1].value, 48);
  EXPECT_TRUE(parsed.samples[2].labels.empty());
}

TEST(ParsePrometheusText, UnescapesLabelValues) {
  const auto parsed =
      parse_prometheus_text("m{a=\"q\\\"uote\",b=\"back\\\\slash\",c=\"new\\nline\",} 1\n");
  ASSERT_EQ(parsed.error, "");
  const Sample& s = parsed.samples.at(0);
  EXPECT_EQ(s.label("a"), "q\"uote");
  EXPECT_EQ(s.label("b"), "back\\slash");
  EXPECT_EQ(s.label("c"), "new\nline");
}

TEST(ParsePrometheusText, ReadsSpecialAndFractionalValues) {
  const auto parsed = parse_prometheus_text(
      "a_bucket{le=\"+Inf\"} +Inf\nb -Inf\nc NaN\nd 1.5e-3\ne 3.0000000000000004\r\n");
  ASSERT_EQ(parsed.error, "");
  ASSERT_EQ(parsed.samples.size(), 5U);
  EXPECT_TRUE(std::isinf(parsed.samples[0].value) && parsed.samples[0].value > 0);
  EXPECT_EQ(parsed.samples[0].label("le"), "+Inf");
  EXPECT_TRUE(std::isinf(parsed.samples[1].value) && parsed.samples[1].value < 0);
  EXPECT_TRUE(std::isnan(parsed.samples[2].value));
  EXPECT_DOUBLE_EQ(parsed.samples[3].value, 0.0015);
  EXPECT_DOUBLE_EQ(parsed.samples[4].value, 3.0000000000000004);
}

TEST(ParsePrometheusText, NamesTheFirstMalformedLine) {
  const std::pair<const char*, const char*> cases[] = {
      {"ok 1\n9lives 1\n", "line 2: expected a metric name"},
      {"m{group=\"a\" 1\n", "line 1: expected ',' or '}' after a label value"},
      {"m{group=a} 1\n", "line 1: expected a quoted label value"},
      {"m{group=\"a} 1\n", "line 1: unterminated label value"},
      {"m{group=\"\\t\"} 1\n", "line 1: unknown escape in a label value"},
      {"m{1a=\"x\"} 1\n", "line 1: expected a label name"},
      {"m{a:b=\"x\"} 1\n", "line 1: expected '=' after label a"},
      {"m 12abc\n", "line 1: \"12abc\" is not a number"},
      {"m\n", "line 1: expected a space before the value"},
      {"m 1 2 3\n", "line 1: unexpected text after the value"},
      {"m 1 soon\n", "line 1: \"soon\" is not a timestamp"},
  };
  for (const auto& [text, error] : cases) {
    const auto parsed = parse_prometheus_text(text);
    EXPECT_EQ(parsed.error, error) << text;
    EXPECT_TRUE(parsed.samples.empty()) << text;
  }
}

}  // namespace
}  // namespace wsgid::status
