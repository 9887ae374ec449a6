#include "ops/log.hpp"

#include <boost/json/serialize.hpp>
#include <fmt/chrono.h>
#include <spdlog/logger.h>
#include <spdlog/sinks/stdout_sinks.h>

#include <chrono>
#include <ctime>
#include <memory>

namespace evstream::ops {

namespace {

spdlog::level::level_enum spdlog_level(log_level level) {
  switch (level) {
  case log_level::debug:
    return spdlog::level::debug;
  case log_level::info:
    return spdlog::level::info;
  case log_level::warn:
    return spdlog::level::warn;
  case log_level::error:
    return spdlog::level::err;
  }
  return spdlog::level::info;
}

const char* name_of(log_level level) {
  switch (level) {
  case log_level::debug:
    return "debug";
  case log_level::info:
    return "info";
  case log_level::warn:
    return "warn";
  case log_level::error:
    return "error";
  }
  return "info";
}

spdlog::logger& logger() {
  // Kept out of spdlog's registry, so a host node that uses spdlog keeps its
  // own default logger and we keep ours. Never destroyed: a connection torn
  // down while statics are destroyed may still log.
  static spdlog::logger* const instance = [] {
    auto* made = new spdlog::logger("evstream", std::make_shared<spdlog::sinks::stderr_sink_mt>());
    made->set_pattern("%v"); // the line is the JSON object, ts and level included
    made->set_level(spdlog::level::info);
    return made;
  }();
  return *instance;
}

// "2024-05-01T12:00:00.123Z"
std::string utc_timestamp(std::chrono::system_clock::time_point now) {
  auto seconds = std::chrono::system_clock::to_time_t(now);
  auto millis = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count() % 1000;
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  return fmt::format("{:%Y-%m-%dT%H:%M:%S}.{:03}Z", utc, millis);
}

} // namespace

std::optional<log_level> log_level_named(std::string_view name) {
  for (auto level : {log_level::debug, log_level::info, log_level::warn, log_level::error})
    if (name == name_of(level)) return level;
  return std::nullopt;
}

void set_log_level(log_level level) { logger().set_level(spdlog_level(level)); }

bool log_enabled(log_level level) { return logger().should_log(spdlog_level(level)); }

namespace {

std::string line_of(log_level level, std::string_view event, boost::json::object fields) {
  boost::json::object line;
  line.reserve(fields.size() + 3);
  line.emplace("ts", utc_timestamp(std::chrono::system_clock::now()));
  line.emplace("level", name_of(level));
  line.emplace("event", event);
  for (auto& field : fields)
    line.emplace(field.key(), std::move(field.value()));
  return boost::json::serialize(line);
}

} // namespace

void log(log_level level, std::string_view event, boost::json::object fields) {
  if (!log_enabled(level)) return;
  logger().log(spdlog_level(level), line_of(level, event, std::move(fields)));
}

void log_lifecycle(std::string_view event, boost::json::object fields) {
  // spdlog's highest level passes every threshold; the line itself says info.
  logger().log(spdlog::level::critical, line_of(log_level::info, event, std::move(fields)));
}

std::optional<std::uint64_t> log_throttle::admit(std::string_view key, clock::time_point now) {
  std::lock_guard lock{mutex_};
  auto found = episodes_.find(key);
  if (found == episodes_.end()) {
    episodes_.emplace(std::string{key}, episode{now, 0});
    return 0;
  }
  auto& seen = found->second;
  if (now - seen.last_written < interval_) {
    ++seen.held;
    return std::nullopt;
  }
  auto held = seen.held;
  seen = {now, 0};
  return held;
}

void log_repeatable(log_level level, std::string_view event, std::string_view key,
                    boost::json::object fields) {
  static log_throttle throttle{std::chrono::seconds(10)};
  if (!log_enabled(level)) return;
  auto held = throttle.admit(std::string{event} + "/" + std::string{key});
  if (!held) return;
  if (*held > 0) fields.emplace("repeated", *held);
  log(level, event, std::move(fields));
}

void log_relay_link(bool connected, std::string_view upstream, std::string_view detail) {
  boost::json::object fields{{"state", connected ? "connected" : "disconnected"}, {"upstream", upstream}};
  if (!detail.empty()) fields.emplace("detail", detail);
  // A link that keeps failing would log every retry, for as long as the upstream is away.
  if (connected)
    log(log_level::info, "relay_link", std::move(fields));
  else
    log_repeatable(log_level::warn, "relay_link", upstream, std::move(fields));
}

} // namespace evstream::ops
