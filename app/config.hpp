// evstream's command line and INI options, on CAF's actor_system_config, and
// their translation into service_options.
#pragma once

#include "app/service.hpp"
#include "schema/result.hpp"

#include <caf/all.hpp>

#include <optional>
#include <string>
#include <vector>

namespace evstream {

class config : public caf::actor_system_config {
public:
  config();

  // The options as the service takes them, or a message saying which value is wrong.
  result<service_options, std::string> to_service_options() const;

  // The ingest token: --ingest-token, or the contents of --ingest-token-file.
  result<std::string, problem> ingest_token_value() const;

  // Whether the options need CAF's network layer (main loads it then only).
  bool relays() const { return publish_port >= 0 || !upstream.empty(); }
  // The relay link's TLS files, checked, or a message saying what is wrong;
  // none when the link is plain (--relay-insecure) or there is none.
  result<std::optional<relay_tls_files>, std::string> relay_tls() const;

  std::string host = "127.0.0.1";
  std::uint16_t port = 9984;
  std::string advertised_url;
  caf::timespan keepalive_timeout = std::chrono::minutes(3);
  std::string source = "demo";
  double demo_rate = 1.0;
  std::size_t demo_block_size = 10;
  std::uint64_t demo_seed = 1;
  std::string ingest_token;
  std::string ingest_token_file;
  std::vector<std::string> ingest_allow_origin;
  std::size_t max_message_bytes = 4096;
  std::size_t send_budget_bytes = 8u << 20;
  caf::timespan send_timeout = std::chrono::seconds(30);
  std::size_t retain_blocks = retention_limits{}.max_blocks;
  std::size_t retain_bytes = retention_limits{}.max_bytes;
  std::string journal;
  std::int64_t publish_port = -1;
  std::string publish_host;
  std::string upstream;
  std::string relay_ca;
  std::string relay_cert;
  std::string relay_key;
  bool relay_insecure = false;
  std::size_t max_body_bytes = 16u << 20;
  std::size_t io_threads = 1;
  std::string tls_cert;
  std::string tls_key;
  std::size_t max_connections = 150000;
  std::size_t max_connections_per_ip = 1000;
  std::size_t max_header_bytes = 8192;
  caf::timespan request_timeout = std::chrono::seconds(5);
  caf::timespan handshake_timeout = std::chrono::seconds(5);
  std::string log_level = "info";
};

} // namespace evstream
