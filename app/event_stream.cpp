#include "evstream/evstream.hpp"

#include "actors/messages.hpp"
#include "actors/relay_messages.hpp"
#include "app/service.hpp"

#include <caf/io/middleman.hpp>
#include <caf/openssl/manager.hpp>

#include <stdexcept>
#include <string>

namespace evstream {

namespace {

service_options to_service_options(const event_stream_options& options) {
  service_options result;
  result.host = options.host;
  result.port = options.port;
  result.source = block_source_kind::embedded;
  result.io_threads = options.io_threads;
  result.retention.max_blocks = options.retain_blocks;
  result.retention.max_bytes = options.retain_bytes;
  result.journal_path = options.journal_path;
  result.server.advertised_url = options.advertised_url;
  result.server.keepalive_timeout = options.keepalive_timeout;
  result.server.tls_cert_file = options.tls_cert_file;
  result.server.tls_key_file = options.tls_key_file;
  result.publish_port = options.publish_port;
  return result;
}

} // namespace

event_stream::event_stream(caf::actor_system& system, event_stream_options options)
    : system_(system), service_(std::make_unique<service>(system, to_service_options(options))) {}

event_stream::~event_stream() = default;

std::uint16_t event_stream::port() const { return service_->port(); }

std::optional<std::uint16_t> event_stream::published_port() const { return service_->published_port(); }

void enable_relays(caf::actor_system_config& config) {
  config.load<caf::io::middleman>();
  announce_relay_types(config);
}

void enable_relays(caf::actor_system_config& config, const relay_tls_files& tls) {
  enable_relays(config);
  // CAF's OpenSSL module then requires a certificate that chains to the CA on
  // both ends of every link (SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT).
  config.openssl_cafile = tls.ca_file;
  config.openssl_certificate = tls.cert_file;
  config.openssl_key = tls.key_file;
  config.load<caf::openssl::manager>();
}

void event_stream::publish(block b) { caf::anon_send(service_->block_source(), std::move(b)); }

caf::actor event_stream::block_source() const { return service_->block_source(); }

event_stream_counters event_stream::counters() const {
  event_stream_counters result;
  result.slow_consumers_closed = service_->slow_consumers_closed();
  caf::scoped_actor self{system_};
  auto timeout = std::chrono::seconds(1);
  // An actor that does not answer (stopped, or stuck) is the host's to know.
  auto unanswered = [](const char* actor) {
    return [actor](caf::error& error) {
      throw std::runtime_error(std::string{"evstream: the "} + actor
                               + " did not answer for counters: " + caf::to_string(error));
    };
  };
  self->request(service_->dispatcher(), timeout, caf::get_atom::value, subscribers_atom::value)
      .receive([&](std::size_t subscribers) { result.subscribers = subscribers; }, unanswered("dispatcher"));
  self->request(service_->block_source(), timeout, caf::get_atom::value, counters_atom::value)
      .receive(
          [&](const source_counters& source) {
            result.blocks_published = source.blocks_published;
            result.blocks_refused = source.blocks_refused;
          },
          unanswered("block source"));
  return result;
}

void event_stream::stop() { service_->stop(); }

} // namespace evstream
