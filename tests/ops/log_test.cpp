// The structured log: one JSON object per stderr line, levels, and relay
// link changes.
#include "ops/log.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <catch2/catch.hpp>

#include <cstdio>
#include <sstream>
#include <string>
#include <unistd.h>
#include <vector>

using namespace evstream::ops;

namespace {

// Everything written to stderr while it lives; restores stderr and the info level.
class captured_stderr {
public:
  captured_stderr() : file_(std::tmpfile()), saved_(::dup(STDERR_FILENO)) {
    std::fflush(stderr);
    ::dup2(::fileno(file_), STDERR_FILENO);
  }
  ~captured_stderr() {
    restore();
    std::fclose(file_);
    set_log_level(log_level::info);
  }
  std::vector<boost::json::object> lines() {
    restore();
    std::vector<boost::json::object> parsed;
    std::rewind(file_);
    char buffer[4096];
    std::string text;
    for (std::size_t got; (got = std::fread(buffer, 1, sizeof buffer, file_)) > 0;)
      text.append(buffer, got);
    std::istringstream stream{text};
    for (std::string line; std::getline(stream, line);)
      parsed.push_back(boost::json::parse(line).as_object());
    return parsed;
  }

private:
  void restore() {
    if (saved_ < 0) return;
    std::fflush(stderr);
    ::dup2(saved_, STDERR_FILENO);
    ::close(saved_);
    saved_ = -1;
  }
  std::FILE* file_;
  int saved_;
};

} // namespace

TEST_CASE("log levels are read by name") {
  CHECK(log_level_named("debug") == log_level::debug);
  CHECK(log_level_named("info") == log_level::info);
  CHECK(log_level_named("warn") == log_level::warn);
  CHECK(log_level_named("error") == log_level::error);
  CHECK_FALSE(log_level_named("warning"));
  CHECK_FALSE(log_level_named("INFO"));
}

TEST_CASE("a log line is one JSON object: ts, level, event, then the fields, escaped") {
  captured_stderr captured;
  log(log_level::info, "ws_open", {{"remote", "127.0.0.1:5000"}, {"detail", "a \"quoted\"\nsecond line"}});
  auto lines = captured.lines();
  REQUIRE(lines.size() == 1);
  auto& line = lines[0];
  CHECK(line.begin()->key() == "ts");
  CHECK(line.at("ts").as_string().size() == std::string{"2024-05-01T12:00:00.123Z"}.size());
  CHECK(line.at("level") == "info");
  CHECK(line.at("event") == "ws_open");
  CHECK(line.at("remote") == "127.0.0.1:5000");
  CHECK(line.at("detail") == "a \"quoted\"\nsecond line");
}

TEST_CASE("lines below the level are dropped") {
  captured_stderr captured;
  set_log_level(log_level::warn);
  CHECK_FALSE(log_enabled(log_level::info));
  log(log_level::info, "http_open");
  log(log_level::warn, "ingest_error");
  log(log_level::error, "accept_failed");
  auto lines = captured.lines();
  REQUIRE(lines.size() == 2);
  CHECK(lines[0].at("event") == "ingest_error");
  CHECK(lines[1].at("level") == "error");
}

TEST_CASE("a relay link change is info when it comes up and warn when it goes down, with why") {
  // (Its disconnected lines go through the throttle: this upstream appears in no other test.)
  captured_stderr captured;
  log_relay_link(true, "up.example.com:9990");
  log_relay_link(false, "up.example.com:9990", "connection refused");
  auto lines = captured.lines();
  REQUIRE(lines.size() == 2);
  CHECK(lines[0].at("event") == "relay_link");
  CHECK(lines[0].at("level") == "info");
  CHECK(lines[0].at("state") == "connected");
  CHECK(lines[0].at("upstream") == "up.example.com:9990");
  CHECK(lines[1].at("level") == "warn");
  CHECK(lines[1].at("state") == "disconnected");
  CHECK(lines[1].at("detail") == "connection refused");
}

TEST_CASE("repeated lines: the first of an episode at once, then one per interval with the count held back") {
  log_throttle throttle{std::chrono::seconds(10)};
  log_throttle::clock::time_point start{};
  using std::chrono::seconds;
  CHECK(throttle.admit("invalid", start) == 0u);
  for (int i = 1; i <= 5; ++i)
    CHECK_FALSE(throttle.admit("invalid", start + seconds(i)));
  CHECK(throttle.admit("duplicate", start + seconds(5)) == 0u); // another key, its own episode
  CHECK(throttle.admit("invalid", start + seconds(10)) == 5u);
  CHECK_FALSE(throttle.admit("invalid", start + seconds(19)));
  CHECK(throttle.admit("invalid", start + seconds(60)) == 1u);
  CHECK(throttle.admit("invalid", start + seconds(120)) == 0u); // a new episode, nothing held back
}

TEST_CASE("a flood of the same error writes one line, not one per error") {
  captured_stderr captured;
  for (int i = 0; i < 1000; ++i)
    log_repeatable(log_level::warn, "ingest_error", "flood_test", {{"reason", "flood_test"}});
  log_repeatable(log_level::warn, "ingest_error", "other_flood_test", {{"reason", "other_flood_test"}});
  auto lines = captured.lines();
  REQUIRE(lines.size() == 2);
  CHECK(lines[0].at("reason") == "flood_test");
  CHECK_FALSE(lines[0].contains("repeated"));
  CHECK(lines[1].at("reason") == "other_flood_test");
}
