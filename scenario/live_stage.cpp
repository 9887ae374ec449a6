#include "scenario/live_stage.hpp"

#include "client/stream_url.hpp"

#include <boost/url/parse.hpp>

#include <csignal>
#include <stdexcept>

namespace evstream::scenario {

namespace {

namespace http = net::http;

// How long a check waits for what it needs before it judges what it has.
constexpr auto arrival_deadline = std::chrono::seconds(10);
constexpr auto request_timeout = std::chrono::seconds(10);

} // namespace

live_stage::live_stage(const live_target& target) : target_(target) {
  auto url = boost::urls::parse_uri(target.url);
  if (!url || url->scheme_id() != boost::urls::scheme::http || url->encoded_host().empty())
    throw std::runtime_error("--live needs a URL such as http://127.0.0.1:9984, not \"" + target.url + "\"");
  auto to = client::endpoint_of(*url);
  host_ = to.host_header;
  net::tcp::resolver resolver{io_};
  server_ = *resolver.resolve(to.host, to.port).begin();
}

live_stage::~live_stage() {
  for (auto& entry : clients_)
    entry.second->cut();
}

bool live_stage::pump_until(const std::function<bool()>& done, clock::time_point deadline) {
  io_.restart();
  // The timer keeps the io_context busy, so that run_one waits for it rather
  // than returning at once when no socket has work.
  bool expired = false;
  net::asio::steady_timer wake{io_, deadline};
  wake.async_wait([&expired](net::error_code) { expired = true; });
  while (!done() && !expired)
    io_.run_one();
  wake.cancel();
  while (!expired)
    io_.run_one();
  return done();
}

live_stage::clock::time_point live_stage::real_time_of(caf::timespan scenario_time) const {
  auto scaled = std::chrono::duration<double, std::nano>(scenario_time.count() * target_.time_scale);
  return started_ + std::chrono::duration_cast<clock::duration>(scaled);
}

void live_stage::connect(const std::string& name, const std::string& stream) {
  auto socket = std::make_unique<live_client>(io_);
  socket->start(server_, host_, "/api/v1/streams/" + stream);
  auto& started = *socket;
  clients_[name] = std::move(socket);
  auto settled = [&] {
    const auto& handshake = started.handshake_result();
    return started.subscribed() || started.record().ended || (handshake && *handshake);
  };
  pump_until(settled, clock::now() + arrival_deadline);
  auto result = started.handshake_result();
  if (!result) throw step_failure{"a subscription to " + stream, "no answer to the upgrade request"};
  if (*result == net::websocket::error::upgrade_declined)
    throw step_failure{"a subscription to " + stream,
                       "the upgrade was declined with HTTP " + std::to_string(started.declined_status())};
  if (*result) throw step_failure{"a subscription to " + stream, result->message()};
  if (!started.subscribed())
    throw step_failure{"a subscription to " + stream, "no pong to the subscription ping"};
}

void live_stage::send(const std::string& name, const std::string& text) { client(name).send(text); }

void live_stage::stop_reading(const std::string& name) { client(name).stop_reading(); }

void live_stage::resume_reading(const std::string& name) { client(name).resume_reading(); }

void live_stage::disconnect(const std::string& name) { client(name).cut(); }

block_outcome live_stage::post_block(const std::string& json) {
  net::beast::tcp_stream stream{io_};
  http::request<http::string_body> request{http::verb::post, "/api/v1/blocks", 11};
  request.set(http::field::host, host_);
  request.set(http::field::content_type, "application/json");
  request.body() = json;
  request.prepare_payload();
  http::response<http::string_body> response;
  net::beast::flat_buffer buffer;
  std::optional<net::error_code> result;
  stream.expires_after(request_timeout);
  stream.async_connect(server_, [&](net::error_code ec) {
    if (ec) return void(result = ec);
    http::async_write(stream, request, [&](net::error_code written, std::size_t) {
      if (written) return void(result = written);
      http::async_read(stream, buffer, response, [&](net::error_code read, std::size_t) { result = read; });
    });
  });
  // Clients keep reading meanwhile; the stream's own timer bounds the request.
  pump_until([&] { return result.has_value(); }, clock::now() + 2 * request_timeout);
  if (!result) throw step_failure{"an answer to POST /api/v1/blocks", "none in time"};
  if (*result) throw step_failure{"an answer to POST /api/v1/blocks", result->message()};
  switch (response.result()) {
  case http::status::accepted:
    return block_outcome::accepted;
  case http::status::conflict:
    return block_outcome::duplicate;
  case http::status::bad_request:
    return block_outcome::invalid;
  default:
    throw step_failure{"202, 409 or 400 from POST /api/v1/blocks",
                       std::to_string(response.result_int()) + " " + response.body()};
  }
}

void live_stage::advance(caf::timespan by) {
  now_ += by;
  // Clients keep reading while the clock runs.
  pump_until([] { return false; }, real_time_of(now_));
}

void live_stage::shut_down() {
  if (target_.server_pid <= 0)
    throw step_failure{
        "the server shut down",
        "refused: live mode shuts a server down only when given its process id (--server-pid)"};
  if (::kill(target_.server_pid, SIGTERM) != 0)
    throw step_failure{"SIGTERM delivered to process " + std::to_string(target_.server_pid), "kill failed"};
}

client_record live_stage::observe(const std::string& name, const awaited& wanted) {
  auto& socket = client(name);
  auto arrived = [&] {
    const auto& record = socket.record();
    if (record.ended) return true; // nothing more will come
    return !wanted.end && record.events.size() >= wanted.events && record.pongs >= wanted.pongs;
  };
  pump_until(arrived, clock::now() + arrival_deadline);
  return socket.record();
}

bool live_stage::is_open(const std::string& name) {
  auto& socket = client(name);
  io_.restart();
  io_.poll(); // take in what already arrived
  return !socket.ended_at() || *socket.ended_at() > real_time_of(now_);
}

std::optional<std::size_t> live_stage::subscribers() {
  return std::nullopt; // evstream serves no subscriber count over HTTP
}

} // namespace evstream::scenario
