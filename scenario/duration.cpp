#include "scenario/duration.hpp"

#include <caf/config_value.hpp>
#include <caf/expected.hpp>

#include <cstdio>

namespace evstream::scenario {

namespace {

std::optional<caf::timespan> parse_with_caf(const std::string& text) {
  auto value = caf::config_value::parse(text);
  if (!value) return std::nullopt;
  if (auto* duration = caf::get_if<caf::timespan>(&*value)) return *duration;
  return std::nullopt;
}

} // namespace

std::optional<caf::timespan> parse_duration(std::string_view text) {
  // "179.999s" is 179999s divided by 1000: CAF reads the integer and the unit.
  auto point = text.find('.');
  if (point == std::string_view::npos) return parse_with_caf(std::string{text});
  auto digits_end = text.find_first_not_of("0123456789", point + 1);
  if (digits_end == std::string_view::npos || digits_end == point + 1 || point == 0) return std::nullopt;
  auto fraction_digits = digits_end - point - 1;
  if (fraction_digits > 9) return std::nullopt; // finer than a nanosecond
  auto whole = parse_with_caf(std::string{text.substr(0, point)} + std::string{text.substr(point + 1)});
  if (!whole) return std::nullopt;
  std::int64_t divisor = 1;
  for (std::size_t i = 0; i < fraction_digits; ++i)
    divisor *= 10;
  return *whole / divisor;
}

std::string describe_time(caf::timespan since_start) {
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(since_start).count();
  char text[32];
  std::snprintf(text, sizeof text, "%lld.%03llds", static_cast<long long>(ms / 1000),
                static_cast<long long>(ms % 1000));
  return text;
}

std::string to_caf_duration(caf::timespan duration) {
  auto ns = duration.count();
  if (ns % 1000000 == 0) return std::to_string(ns / 1000000) + "ms";
  if (ns % 1000 == 0) return std::to_string(ns / 1000) + "us";
  return std::to_string(ns) + "ns";
}

} // namespace evstream::scenario
