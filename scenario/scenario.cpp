#include "scenario/scenario.hpp"

#include "scenario/duration.hpp"
#include "schema/block.hpp"

#include <boost/json.hpp>

#include <initializer_list>
#include <map>
#include <regex>
#include <set>

namespace evstream::scenario {

namespace {

namespace json = boost::json;

// Reading stops at the first problem: helpers throw it, parse_scenario returns it.
[[noreturn]] void fail(std::string message, std::string path) {
  throw scenario_error{std::move(message), std::move(path)};
}

std::string in_quotes(std::string_view text) { return '"' + std::string{text} + '"'; }

// One JSON object being read, with its path for errors.
class object_reader {
public:
  object_reader(const json::value& value, std::string path, std::string_view what) : path_(std::move(path)) {
    object_ = value.if_object();
    if (!object_) fail(std::string{what} + " must be a JSON object", path_);
  }

  // Refuses fields not in `known`: a misspelt field must not silently do nothing.
  void only(std::initializer_list<std::string_view> known) const {
    for (const auto& field : *object_) {
      bool is_known = false;
      for (auto name : known)
        is_known = is_known || field.key() == name;
      if (!is_known) fail("unknown field " + in_quotes(field.key()), at(field.key()));
    }
  }

  bool has(std::string_view name) const { return object_->contains(name); }
  const json::value* find(std::string_view name) const { return object_->if_contains(name); }
  std::string at(std::string_view name) const { return path_ + '.' + std::string{name}; }
  const std::string& path() const { return path_; }

  const json::value& required(std::string_view name) const {
    auto* value = find(name);
    if (!value) fail("missing required field " + in_quotes(name), at(name));
    return *value;
  }

  std::string string(std::string_view name) const {
    auto* text = required(name).if_string();
    if (!text) fail(in_quotes(name) + " must be a string", at(name));
    return std::string{text->data(), text->size()};
  }

  std::string string_or(std::string_view name, std::string fallback) const {
    return has(name) ? string(name) : std::move(fallback);
  }

  std::uint64_t unsigned_number(std::string_view name, std::uint64_t min = 0,
                                std::uint64_t max = UINT64_MAX) const {
    const auto& value = required(name);
    std::uint64_t number = 0;
    if (auto* u = value.if_uint64())
      number = *u;
    else if (auto* i = value.if_int64(); i && *i >= 0)
      number = static_cast<std::uint64_t>(*i);
    else
      fail(in_quotes(name) + " must be a whole number of at least " + std::to_string(min), at(name));
    if (number < min || number > max)
      fail(in_quotes(name) + " must be between " + std::to_string(min) + " and " + std::to_string(max),
           at(name));
    return number;
  }

  caf::timespan duration(std::string_view name) const {
    auto text = string(name);
    auto parsed = parse_duration(text);
    if (!parsed || parsed->count() < 0)
      fail(in_quotes(name) + " must be a duration such as \"180s\", \"179.999s\" or \"3min\", not "
               + in_quotes(text),
           at(name));
    return *parsed;
  }

  const json::array& array(std::string_view name) const {
    auto* items = required(name).if_array();
    if (!items) fail(in_quotes(name) + " must be an array", at(name));
    return *items;
  }

  // Exactly one of `alternatives` is present; returns which.
  std::string_view one_of(std::initializer_list<std::string_view> alternatives) const {
    std::string_view found;
    std::string names;
    for (auto name : alternatives) {
      names += (names.empty() ? "" : " or ") + in_quotes(name);
      if (!has(name)) continue;
      if (!found.empty()) fail("give only one of " + names, at(name));
      found = name;
    }
    if (found.empty()) fail("needs one of " + names, path_);
    return found;
  }

private:
  const json::object* object_ = nullptr;
  std::string path_;
};

// Reads steps in order, knowing which clients and blocks earlier steps made.
class steps_reader {
public:
  step_action read(const object_reader& step) {
    if (step.has("do") && step.has("expect")) fail("a step either does or expects, not both", step.path());
    if (step.has("do")) return read_action(step, step.string("do"));
    if (step.has("expect")) return read_expectation(step, step.string("expect"));
    fail("a step needs \"do\" (an action) or \"expect\" (a check)", step.path());
  }

private:
  step_action read_action(const object_reader& step, const std::string& kind) {
    if (kind == "connect") {
      step.only({"do", "client", "clients", "count", "stream"});
      connect action{new_clients(step), step.string_or("stream", "valid_tx")};
      return action;
    }
    if (kind == "send") {
      step.only({"do", "client", "clients", "text", "bytes"});
      send_message action{clients(step), {}};
      if (step.one_of({"text", "bytes"}) == "text")
        action.text = step.string("text");
      else
        action.text.assign(step.unsigned_number("bytes", 1, 64u << 20), 'x');
      return action;
    }
    if (kind == "stop_reading" || kind == "resume_reading" || kind == "disconnect") {
      step.only({"do", "client", "clients"});
      if (kind == "stop_reading") return stop_reading{clients(step)};
      if (kind == "resume_reading") return resume_reading{clients(step)};
      return disconnect{clients(step)};
    }
    if (kind == "block") return read_block(step);
    if (kind == "advance") {
      step.only({"do", "by"});
      return advance_clock{step.duration("by")};
    }
    if (kind == "shutdown") {
      step.only({"do"});
      return shut_down{};
    }
    fail("unknown action " + in_quotes(kind)
             + "; actions: connect, send, stop_reading, resume_reading, disconnect, block, advance, shutdown",
         step.at("do"));
  }

  step_action read_expectation(const object_reader& step, const std::string& kind) {
    if (kind == "events") {
      step.only({"expect", "client", "clients", "events", "blocks"});
      expect_events check{clients(step), {}, {}, false};
      if (step.one_of({"events", "blocks"}) == "events") {
        const auto& events = step.array("events");
        check.events.assign(events.begin(), events.end());
      } else {
        check.by_blocks = true;
        const auto& names = step.array("blocks");
        for (std::size_t i = 0; i < names.size(); ++i) {
          auto path = step.at("blocks") + '[' + std::to_string(i) + ']';
          auto* name = names[i].if_string();
          if (!name) fail("each block must be named by a string", path);
          check.blocks.push_back(known_block(std::string{name->data(), name->size()}, path));
        }
      }
      return check;
    }
    if (kind == "pong") {
      step.only({"expect", "client", "clients", "count"});
      return expect_pongs{clients(step), step.has("count") ? step.unsigned_number("count") : 1};
    }
    if (kind == "open") {
      step.only({"expect", "client", "clients"});
      return expect_open{clients(step)};
    }
    if (kind == "closed") {
      step.only({"expect", "client", "clients", "code", "reason"});
      expect_closed check{clients(step), static_cast<std::uint16_t>(step.unsigned_number("code", 1000, 4999)),
                          step.string_or("reason", "")};
      try {
        std::regex{check.reason};
      } catch (const std::regex_error& error) {
        fail("\"reason\" must be a regular expression: " + std::string{error.what()}, step.at("reason"));
      }
      return check;
    }
    if (kind == "subscribers") {
      step.only({"expect", "count"});
      return expect_subscribers{step.unsigned_number("count")};
    }
    fail("unknown expectation " + in_quotes(kind) + "; expectations: events, pong, open, closed, subscribers",
         step.at("expect"));
  }

  step_action read_block(const object_reader& step) {
    step.only({"do", "name", "json", "transactions", "same_as", "outcome"});
    post_block action;
    action.name = step.string_or("name", "");
    auto source = step.one_of({"json", "transactions", "same_as"});
    if (source == "json") {
      // An object is posted as its JSON; a string verbatim, to post text that is not JSON.
      const auto& value = step.required("json");
      action.content =
          inline_json{value.is_string() ? std::string{value.get_string()} : json::serialize(value)};
    } else if (source == "transactions") {
      action.content = generated{static_cast<std::size_t>(
          step.unsigned_number("transactions", 1, schema::max_transactions_per_block))};
    } else {
      action.content = same_as{known_block(step.string("same_as"), step.at("same_as"))};
    }
    auto outcome = step.string_or("outcome", "accepted");
    if (outcome == "duplicate")
      action.outcome = block_outcome::duplicate;
    else if (outcome == "invalid")
      action.outcome = block_outcome::invalid;
    else if (outcome != "accepted")
      fail("\"outcome\" must be \"accepted\", \"duplicate\" or \"invalid\"", step.at("outcome"));
    if (!action.name.empty() && !blocks_.insert(action.name).second)
      fail("a block named " + in_quotes(action.name) + " already exists", step.at("name"));
    return action;
  }

  // The names a connect step introduces: one client, several, or a group of `count`.
  client_names new_clients(const object_reader& step) {
    client_names names;
    if (step.has("count")) {
      auto group = step.string("client");
      auto count = step.unsigned_number("count", 1, 100000);
      for (std::uint64_t i = 1; i <= count; ++i)
        names.push_back(group + '#' + std::to_string(i));
      if (groups_.count(group) || connected_.count(group))
        fail("a client or group named " + in_quotes(group) + " already exists", step.at("client"));
      groups_[group] = names;
    } else {
      names = listed_clients(step);
    }
    for (const auto& name : names)
      if (!connected_.insert(name).second || groups_.count(name))
        fail("a client named " + in_quotes(name) + " already exists", step.path());
    return names;
  }

  // The clients a step refers to, each connected by an earlier step.
  client_names clients(const object_reader& step) {
    client_names names;
    for (const auto& name : listed_clients(step)) {
      if (auto group = groups_.find(name); group != groups_.end()) {
        names.insert(names.end(), group->second.begin(), group->second.end());
        continue;
      }
      if (!connected_.count(name))
        fail("no earlier step connects a client named " + in_quotes(name),
             step.at(step.has("client") ? "client" : "clients"));
      names.push_back(name);
    }
    return names;
  }

  client_names listed_clients(const object_reader& step) {
    if (step.one_of({"client", "clients"}) == "client") return {step.string("client")};
    client_names names;
    const auto& items = step.array("clients");
    for (std::size_t i = 0; i < items.size(); ++i) {
      auto* name = items[i].if_string();
      if (!name)
        fail("each client must be named by a string", step.at("clients") + '[' + std::to_string(i) + ']');
      names.emplace_back(name->data(), name->size());
    }
    if (names.empty()) fail("\"clients\" must name at least one client", step.at("clients"));
    return names;
  }

  std::string known_block(std::string name, const std::string& path) {
    if (!blocks_.count(name)) fail("no earlier step posts a block named " + in_quotes(name), path);
    return name;
  }

  std::set<std::string> connected_;
  std::map<std::string, client_names> groups_;
  std::set<std::string> blocks_;
};

server_settings read_settings(const json::value& value) {
  object_reader settings{value, "$.settings", "\"settings\""};
  settings.only({"keepalive_timeout", "send_budget_bytes", "max_message_bytes"});
  server_settings result;
  if (settings.has("keepalive_timeout")) result.keepalive_timeout = settings.duration("keepalive_timeout");
  if (result.keepalive_timeout.count() <= 0)
    fail("\"keepalive_timeout\" must be above 0", settings.at("keepalive_timeout"));
  if (settings.has("send_budget_bytes"))
    result.send_budget_bytes = settings.unsigned_number("send_budget_bytes", 1);
  if (settings.has("max_message_bytes"))
    result.max_message_bytes = settings.unsigned_number("max_message_bytes", 1);
  return result;
}

scenario read_scenario(const json::value& document) {
  object_reader root{document, "$", "the scenario"};
  root.only({"$schema", "name", "description", "settings", "seed", "steps"});
  scenario result;
  result.name = root.string("name");
  result.description = root.string_or("description", "");
  if (auto* settings = root.find("settings")) result.settings = read_settings(*settings);
  if (root.has("seed")) result.seed = root.unsigned_number("seed");
  const auto& steps = root.array("steps");
  steps_reader reader;
  for (std::size_t i = 0; i < steps.size(); ++i) {
    auto path = "$.steps[" + std::to_string(i) + ']';
    try {
      object_reader step{steps[i], path, "a step"};
      result.steps.push_back({i, json::serialize(steps[i]), reader.read(step)});
    } catch (scenario_error& error) {
      error.message = "step " + std::to_string(i) + ": " + error.message;
      throw;
    }
  }
  return result;
}

} // namespace

result<scenario, scenario_error> parse_scenario(std::string_view text) {
  json::error_code ec;
  auto document = json::parse(text, ec);
  if (ec) return scenario_error{"malformed JSON: " + ec.message(), "$"};
  try {
    return read_scenario(document);
  } catch (const scenario_error& error) {
    return error;
  }
}

} // namespace evstream::scenario
