#include "actors/client_limits.hpp"

#include <cstdio>

namespace evstream {

std::optional<client_close> check_send_budget(std::size_t unsent_bytes, std::size_t budget_bytes) {
  if (unsent_bytes <= budget_bytes) return std::nullopt;
  return client_close{close_code::policy_violation,
                      "slow consumer: over " + describe_bytes(budget_bytes) + " unsent",
                      close_cause::slow_consumer};
}

std::optional<client_close> check_message_size(std::size_t message_bytes, std::size_t limit_bytes) {
  if (message_bytes <= limit_bytes) return std::nullopt;
  return client_close{close_code::message_too_big, "message too big: over " + describe_bytes(limit_bytes),
                      close_cause::limits};
}

std::optional<client_close> check_send_progress(caf::timespan stalled_for, caf::timespan limit) {
  if (stalled_for < limit) return std::nullopt;
  return client_close{close_code::policy_violation,
                      "slow consumer: no progress for " + describe_duration(limit),
                      close_cause::slow_consumer};
}

std::string describe_bytes(std::size_t bytes) {
  if (bytes >= (1u << 20) && bytes % (1u << 20) == 0) return std::to_string(bytes >> 20) + " MiB";
  if (bytes >= (1u << 10) && bytes % (1u << 10) == 0) return std::to_string(bytes >> 10) + " KiB";
  return std::to_string(bytes) + " bytes";
}

std::string describe_duration(caf::timespan duration) {
  using namespace std::chrono;
  auto ms = duration_cast<milliseconds>(duration).count();
  char text[32];
  if (ms < 1000)
    std::snprintf(text, sizeof text, "%lld ms", static_cast<long long>(ms));
  else if (ms % 1000 == 0)
    std::snprintf(text, sizeof text, "%lld s", static_cast<long long>(ms / 1000));
  else
    std::snprintf(text, sizeof text, "%.3g s", static_cast<double>(ms) / 1000.0);
  return text;
}

} // namespace evstream
