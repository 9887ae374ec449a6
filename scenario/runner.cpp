#include "scenario/runner.hpp"

#include "actors/demo_chain.hpp"
#include "scenario/duration.hpp"
#include "schema/block.hpp"
#include "schema/stream_events.hpp"

#include <boost/json.hpp>

#include <map>
#include <regex>

namespace evstream::scenario {

namespace {

namespace json = boost::json;

std::string describe(block_outcome outcome) {
  switch (outcome) {
  case block_outcome::accepted:
    return "accepted";
  case block_outcome::duplicate:
    return "refused as a duplicate";
  case block_outcome::invalid:
    break;
  }
  return "refused as invalid";
}

std::string describe(const client_end& end) {
  if (end.code == 0) return "ended without a close frame (" + end.reason + ")";
  return "closed with " + std::to_string(end.code) + " \"" + end.reason + "\"";
}

// A message as JSON to compare with what a scenario expects; text that is
// not JSON compares as a JSON string.
json::value as_json(const std::string& message) {
  json::error_code ec;
  auto value = json::parse(message, ec);
  return ec ? json::value(message) : value;
}

std::string list(const std::vector<json::value>& values, std::size_t from, std::size_t at_most = 3) {
  std::string text;
  for (std::size_t i = from; i < values.size() && i < from + at_most; ++i)
    text += (text.empty() ? "" : ", ") + json::serialize(values[i]);
  if (values.size() > from + at_most) text += ", …";
  return text.empty() ? "nothing" : text;
}

// Carries out steps on the stage; each returns a short note for the
// transcript or throws step_failure.
class step_player {
public:
  step_player(stage& stage, std::uint64_t seed) : stage_(stage), chain_(seed) {}

  std::string operator()(const connect& step) {
    for (const auto& client : step.clients)
      stage_.connect(client, step.stream);
    return many(step.clients, "connected");
  }

  std::string operator()(const send_message& step) {
    for (const auto& client : step.clients)
      stage_.send(client, step.text);
    return "sent " + std::to_string(step.text.size()) + " bytes";
  }

  std::string operator()(const stop_reading& step) {
    for (const auto& client : step.clients)
      stage_.stop_reading(client);
    return "ok";
  }

  std::string operator()(const resume_reading& step) {
    for (const auto& client : step.clients)
      stage_.resume_reading(client);
    return "ok";
  }

  std::string operator()(const disconnect& step) {
    for (const auto& client : step.clients)
      stage_.disconnect(client);
    return "ok";
  }

  std::string operator()(const post_block& step) {
    auto json = block_json(step);
    auto outcome = stage_.post_block(json);
    if (outcome != step.outcome) throw step_failure{"the block " + describe(step.outcome), describe(outcome)};
    if (!step.name.empty()) named_blocks_[step.name] = json;
    return describe(outcome);
  }

  std::string operator()(const advance_clock&) { return "ok"; } // the runner moves the clock

  std::string operator()(const shut_down&) {
    stage_.shut_down();
    return "ok";
  }

  std::string operator()(const expect_events& step) {
    auto expected = step.by_blocks ? events_of_blocks(step.blocks) : step.events;
    for (const auto& client : step.clients) {
      auto& seen = events_checked_[client];
      auto record = stage_.observe(client, awaited{seen + expected.size(), 0, false});
      std::vector<json::value> received;
      for (auto i = seen; i < record.events.size(); ++i)
        received.push_back(as_json(record.events[i]));
      seen = record.events.size();
      check_same_events(client, expected, received, record.ended);
    }
    return many(step.clients, std::to_string(expected.size()) + " events each");
  }

  std::string operator()(const expect_pongs& step) {
    for (const auto& client : step.clients) {
      auto& seen = pongs_checked_[client];
      auto record = stage_.observe(client, awaited{0, seen + step.count, false});
      auto received = record.pongs - seen;
      seen = record.pongs;
      if (received != step.count)
        throw step_failure{client + " received " + std::to_string(step.count) + " pong since the last check",
                           client + " received " + std::to_string(received)};
    }
    return "ok";
  }

  std::string operator()(const expect_open& step) {
    for (const auto& client : step.clients)
      if (!stage_.is_open(client)) {
        auto record = stage_.observe(client, awaited{});
        throw step_failure{client + " is open", client + " " + describe(*record.ended)};
      }
    return "ok";
  }

  std::string operator()(const expect_closed& step) {
    std::regex reason{step.reason};
    auto wanted = client_end{step.code, "a reason matching /" + step.reason + "/"};
    for (const auto& client : step.clients) {
      auto record = stage_.observe(client, awaited{0, 0, true});
      if (!record.ended) throw step_failure{client + " " + describe(wanted), client + " is still open"};
      if (record.ended->code != step.code || !std::regex_search(record.ended->reason, reason))
        throw step_failure{client + " closed with " + std::to_string(step.code) + " and " + wanted.reason,
                           client + " " + describe(*record.ended)};
    }
    return "ok";
  }

  std::string operator()(const expect_subscribers& step) {
    auto count = stage_.subscribers();
    if (!count) return "skipped: the subscriber count is not observable in live mode";
    if (*count != step.count)
      throw step_failure{std::to_string(step.count) + " subscribers",
                         std::to_string(*count) + " subscribers"};
    return "ok";
  }

private:
  std::string block_json(const post_block& step) {
    if (auto* written = std::get_if<inline_json>(&step.content)) return written->json;
    if (auto* copy = std::get_if<same_as>(&step.content)) return named_blocks_.at(copy->block);
    return chain_.next_block_json(std::get<generated>(step.content).transactions);
  }

  std::vector<json::value> events_of_blocks(const std::vector<std::string>& names) {
    std::vector<json::value> events;
    for (const auto& name : names) {
      auto parsed = schema::parse_block(named_blocks_.at(name));
      auto encoded = schema::encode_valid_tx_events(parsed.value());
      for (std::size_t i = 0; i < encoded.size(); ++i)
        events.push_back(json::parse(encoded[i]));
    }
    return events;
  }

  static void check_same_events(const std::string& client, const std::vector<json::value>& expected,
                                const std::vector<json::value>& received,
                                const std::optional<client_end>& end) {
    std::size_t i = 0;
    while (i < expected.size() && i < received.size() && expected[i] == received[i])
      ++i;
    if (i == expected.size() && i == received.size()) return;
    throw step_failure{client + " received " + std::to_string(expected.size()) + " events; from event "
                           + std::to_string(i) + " on: " + list(expected, i),
                       client + " received " + std::to_string(received.size()) + " events; from event "
                           + std::to_string(i) + " on: " + list(received, i)
                           + (end ? "; then it " + describe(*end) : std::string{})};
  }

  static std::string many(const client_names& clients, const std::string& what) {
    if (clients.size() == 1) return what;
    return what + " (" + std::to_string(clients.size()) + " clients)";
  }

  stage& stage_;
  demo_chain chain_;
  std::map<std::string, std::string> named_blocks_;
  std::map<std::string, std::size_t> events_checked_;
  std::map<std::string, std::size_t> pongs_checked_;
};

} // namespace

bool play(const scenario& scenario, stage& stage, std::uint64_t seed, std::ostream& transcript) {
  step_player player{stage, seed};
  for (const auto& step : scenario.steps) {
    if (auto* advance = std::get_if<advance_clock>(&step.action)) stage.advance(advance->by);
    auto line = "[" + describe_time(stage.now()) + "] #" + std::to_string(step.index) + " " + step.json;
    try {
      auto note = std::visit(player, step.action);
      transcript << line << "  -> " << note << "\n";
    } catch (const step_failure& failure) {
      transcript << line << "  -> FAILED\n"
                 << "FAILED step " << step.index << " at " << describe_time(stage.now()) << "\n"
                 << "  step:     " << step.json << "\n"
                 << "  expected: " << failure.expected << "\n"
                 << "  actual:   " << failure.actual << "\n";
      return false;
    }
  }
  return true;
}

} // namespace evstream::scenario
