#include "scenario/simulated_stage.hpp"

#include "actors/block_source.hpp"
#include "actors/dispatcher.hpp"
#include "actors/session.hpp"
#include "net/stream_request.hpp"

namespace evstream::scenario {

namespace {

caf::actor_system_config& virtual_time(caf::actor_system_config& config) {
  config.set("scheduler.policy", caf::atom("testing"));
  config.set("logger.console", caf::atom("none"));
  return config;
}

} // namespace

simulated_stage::simulated_stage(const server_settings& settings)
    : settings_(settings), system_(virtual_time(config_)),
      scheduler_(dynamic_cast<caf::scheduler::test_coordinator&>(system_.scheduler())), self_(system_, true) {
  dispatcher_ = system_.spawn(evstream::dispatcher, retention_limits{}, dispatcher_history{}, metrics_);
  block_source_ = system_.spawn(evstream::block_source, dispatcher_, block_source_settings{}, metrics_);
  scheduler_.run();
}

simulated_stage::~simulated_stage() {
  caf::anon_send_exit(block_source_, caf::exit_reason::user_shutdown);
  caf::anon_send_exit(dispatcher_, caf::exit_reason::user_shutdown);
  scheduler_.run();
  // Sessions still waiting for a timer must not make ~actor_system wait forever.
  system_.await_actors_before_shutdown(false);
}

void simulated_stage::connect(const std::string& client, const std::string& stream) {
  // `stream` is what follows /api/v1/streams/, query included, read as the
  // server reads it; a refusal reads as live mode reports it.
  auto declined = [&](unsigned status, const std::string& why) {
    return step_failure{"a subscription to " + stream,
                        "the upgrade was declined with HTTP " + std::to_string(status) + " (" + why + ")"};
  };
  auto kind = stream_named(std::string_view{stream}.substr(0, stream.find('?')));
  if (!kind) throw declined(404, "no such stream");
  auto read = net::read_stream_request(*kind, "/api/v1/streams/" + stream);
  if (!read) throw declined(static_cast<unsigned>(read.error().status), read.error().message);
  // The scenario's settings as the server's; the rest keep the server's defaults.
  net::server_settings server;
  server.keepalive_timeout = settings_.keepalive_timeout;
  server.send_budget_bytes = settings_.send_budget_bytes;
  auto wanted = net::session_settings_for(server, read->wanted);
  if (auto since = read->since) {
    std::optional<cursor_status> status;
    self_->send(dispatcher_, cursor_atom::value, *since);
    scheduler_.run();
    self_->receive([&](const cursor_status& answer) { status = answer; },
                   caf::after(std::chrono::seconds(0)) >> [] {});
    if (!status) throw step_failure{"an answer from the dispatcher", "none"};
    // The server's own refusal, so a scenario reads the same either way.
    if (auto refused = net::resume_refusal_of(*status, *since))
      throw declined(static_cast<unsigned>(refused->refusal.status), refused->refusal.message);
    wanted.wanted.resume_after = status->sequence;
  }
  auto socket = std::make_shared<simulated_connection>(settings_, scheduler_.clock());
  socket->attach(system_.spawn(session, dispatcher_, transport_ptr{socket}, std::move(wanted)));
  connections_[client] = std::move(socket);
  scheduler_.run();
}

void simulated_stage::send(const std::string& client, const std::string& text) {
  connection(client).client_sends(text);
  scheduler_.run();
}

void simulated_stage::stop_reading(const std::string& client) { connection(client).client_stops_reading(); }

void simulated_stage::resume_reading(const std::string& client) {
  connection(client).client_resumes_reading();
  scheduler_.run();
}

void simulated_stage::disconnect(const std::string& client) {
  connection(client).client_disconnects();
  scheduler_.run();
}

block_outcome simulated_stage::post_block(const std::string& json) {
  self_->send(block_source_, ingest_atom::value, json);
  scheduler_.run();
  std::optional<ingest_result> result;
  self_->receive([&](const ingest_result& reply) { result = reply; },
                 caf::after(std::chrono::seconds(0)) >> [] {});
  if (!result) throw step_failure{"an answer from the block source", "none"};
  switch (result->result) {
  case ingest_result::outcome::accepted:
    return block_outcome::accepted;
  case ingest_result::outcome::duplicate:
    return block_outcome::duplicate;
  case ingest_result::outcome::unavailable: // only with a journal, which scenarios do not use
    throw step_failure{"an answer from the block source", result->error.message};
  case ingest_result::outcome::invalid:
    break;
  }
  return block_outcome::invalid;
}

void simulated_stage::advance(caf::timespan by) {
  // Fires every timer that came due, then lets the actors handle what they sent.
  scheduler_.advance_time(by);
  scheduler_.run();
  now_ += by;
}

void simulated_stage::shut_down() {
  // What the service does first on SIGTERM: every session closes with 1001.
  caf::anon_send(dispatcher_, going_away{});
  scheduler_.run();
}

client_record simulated_stage::observe(const std::string& client, const awaited&) {
  return connection(client).record();
}

bool simulated_stage::is_open(const std::string& client) {
  // As the client sees it: a close waiting behind unread messages is not seen yet.
  return !connection(client).record().ended;
}

std::optional<std::size_t> simulated_stage::subscribers() {
  self_->send(dispatcher_, caf::get_atom::value, subscribers_atom::value);
  scheduler_.run();
  std::optional<std::size_t> count;
  self_->receive([&](std::size_t n) { count = n; }, caf::after(std::chrono::seconds(0)) >> [] {});
  return count;
}

} // namespace evstream::scenario
