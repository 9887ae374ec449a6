#include "scenario/duration.hpp"
#include "scenario/scenario.hpp"

#include <catch2/catch.hpp>

using namespace std::chrono_literals;
using namespace evstream::scenario;

namespace {

scenario_error error_of(const std::string& json) {
  auto parsed = parse_scenario(json);
  REQUIRE_FALSE(parsed.has_value());
  return parsed.error();
}

scenario parsed(const std::string& json) {
  auto result = parse_scenario(json);
  if (!result) FAIL(result.error().message << " at " << result.error().path);
  return *result;
}

} // namespace

TEST_CASE("durations: CAF's syntax and decimal numbers of a unit") {
  CHECK(parse_duration("180s") == caf::timespan{180s});
  CHECK(parse_duration("3min") == caf::timespan{3min});
  CHECK(parse_duration("179.999s") == caf::timespan{179999ms});
  CHECK(parse_duration("1.5min") == caf::timespan{90s});
  CHECK_FALSE(parse_duration("180"));
  CHECK_FALSE(parse_duration(".5s"));
  CHECK_FALSE(parse_duration("1.s"));
  CHECK_FALSE(parse_duration("soon"));
  CHECK(describe_time(179999ms) == "179.999s");
  CHECK(to_caf_duration(1800ms) == "1800ms");
}

TEST_CASE("a scenario reads into typed steps; a group stands for its members") {
  auto s = parsed(R"({"name": "n", "settings": {"keepalive_timeout": "2s", "send_budget_bytes": 10},
    "steps": [{"do": "connect", "client": "crowd", "count": 3},
              {"do": "block", "name": "b", "transactions": 2},
              {"do": "advance", "by": "1.5s"},
              {"expect": "events", "client": "crowd", "blocks": ["b"]}]})");
  CHECK(s.settings.keepalive_timeout == caf::timespan{2s});
  CHECK(s.settings.send_budget_bytes == 10);
  CHECK(s.settings.max_message_bytes == 4096);
  REQUIRE(s.steps.size() == 4);
  CHECK(std::get<evstream::scenario::connect>(s.steps[0].action).clients
        == client_names{"crowd#1", "crowd#2", "crowd#3"});
  CHECK(std::get<generated>(std::get<post_block>(s.steps[1].action).content).transactions == 2);
  CHECK(std::get<advance_clock>(s.steps[2].action).by == caf::timespan{1500ms});
  CHECK(std::get<expect_events>(s.steps[3].action).clients.size() == 3);
  CHECK(s.steps[2].json == R"({"do":"advance","by":"1.5s"})");
}

TEST_CASE("errors name the step and the JSON path of the first bad field") {
  auto unknown_client = error_of(R"({"name": "n", "steps": [{"do": "connect", "client": "a"},
                                                             {"expect": "open", "client": "b"}]})");
  CHECK(unknown_client.message == "step 1: no earlier step connects a client named \"b\"");
  CHECK(unknown_client.path == "$.steps[1].client");

  auto bad_duration = error_of(R"({"name": "n", "steps": [{"do": "advance", "by": "soon"}]})");
  CHECK(bad_duration.path == "$.steps[0].by");

  auto typo = error_of(R"({"name": "n", "steps": [{"do": "connect", "client": "a", "strem": "x"}]})");
  CHECK(typo.message == "step 0: unknown field \"strem\"");
  CHECK(typo.path == "$.steps[0].strem");

  auto unnamed_block = error_of(R"({"name": "n", "steps": [{"do": "connect", "client": "a"},
                                                            {"expect": "events", "client": "a", "blocks": ["x"]}]})");
  CHECK(unnamed_block.path == "$.steps[1].blocks[0]");

  auto bad_regex = error_of(R"({"name": "n", "steps": [{"do": "connect", "client": "a"},
                                                        {"expect": "closed", "client": "a", "code": 1008, "reason": "("}]})");
  CHECK(bad_regex.path == "$.steps[1].reason");

  CHECK(error_of(R"({"name": "n", "steps": [{"do": "teleport"}]})").path == "$.steps[0].do");
  CHECK(error_of(R"({"name": "n", "steps": [{"do": "block", "transactions": 1001}]})").path
        == "$.steps[0].transactions");
  CHECK(error_of(R"({"steps": []})").path == "$.name");
  CHECK(error_of("{").path == "$");
}
