// The server's settings: every option `evstream` takes, with its default;
// the table that reads them from the command line, EVSTREAM_* variables and
// INI files (cli/options); and their translation into service_options and
// CAF's configuration.
#pragma once

#include "app/service.hpp"
#include "cli/options.hpp"
#include "schema/result.hpp"

#include <caf/actor_system_config.hpp>
#include <caf/defaults.hpp>

#include <optional>
#include <string>
#include <vector>

namespace evstream {

struct settings {
  std::vector<std::string> config_files;
  bool version = false;
  bool dump_config = false;

  std::string host = "127.0.0.1";
  std::uint16_t port = 9984;
  std::string advertised_url;
  std::string source = "demo";
  double demo_rate = 1.0;
  std::size_t demo_block_size = 10;
  std::size_t demo_seed = 1;
  std::string ingest_token;
  std::string ingest_token_file;
  std::vector<std::string> ingest_allow_origin;
  std::size_t max_body_bytes = 16u << 20;
  std::string tls_cert;
  std::string tls_key;

  caf::timespan keepalive_timeout = std::chrono::minutes(3);
  std::size_t max_message_bytes = 4096;
  std::size_t send_budget_bytes = 8u << 20;
  caf::timespan send_timeout = std::chrono::seconds(30);
  std::size_t retain_blocks = retention_limits{}.max_blocks;
  std::size_t retain_bytes = retention_limits{}.max_bytes;
  std::string journal;
  std::size_t max_connections = 150000;
  std::size_t max_connections_per_ip = 1000;
  std::size_t max_header_bytes = 8192;
  caf::timespan request_timeout = std::chrono::seconds(5);
  caf::timespan handshake_timeout = std::chrono::seconds(5);

  std::optional<std::uint16_t> publish_port;
  std::string publish_host;
  std::string upstream;
  std::string relay_ca;
  std::string relay_cert;
  std::string relay_key;
  bool relay_insecure = false;

  std::string bigchaindb_url = "http://127.0.0.1:9984";
  std::string tendermint_url; // empty: --bigchaindb-url's host, port 26657
  caf::timespan bigchaindb_poll = std::chrono::milliseconds(500);
  std::string bigchaindb_from = "latest";
  std::string bigchaindb_api; // empty: 2 with --source=bigchaindb, else 1

  std::string jetstream; // nats://HOST:PORT[,nats://HOST:PORT…]
  std::string jetstream_stream = "EVSTREAM_BLOCKS";
  std::string jetstream_subject_prefix = "evstream.blocks";
  std::string jetstream_creds;
  std::string jetstream_ca;
  std::string jetstream_cert;
  std::string jetstream_key;
  std::size_t jetstream_replicas = 1;
  std::size_t jetstream_max_blocks = 0; // 0: no limit
  std::size_t jetstream_max_bytes = 0;  // 0: no limit
  caf::timespan jetstream_max_age{0};   // 0: no limit

  std::string log_level = "info";
  std::size_t io_threads = 1;

  // CAF's own, under caf.*: two cores, so one worker for the actors by
  // default; a relay notices a silently dead link (no FIN) within seconds.
  // Sharing: an idle worker waits to be woken for work instead of polling
  // and sleeping in short steps, which costs ingest and fan-out CPU in
  // thread switches (docs/performance.md measures both).
  std::size_t caf_max_threads = 1;
  std::string caf_policy = "sharing";
  std::size_t caf_aggressive_poll_attempts = caf::defaults::work_stealing::aggressive_poll_attempts;
  std::size_t caf_aggressive_steal_interval = caf::defaults::work_stealing::aggressive_steal_interval;
  std::size_t caf_moderate_poll_attempts = caf::defaults::work_stealing::moderate_poll_attempts;
  std::size_t caf_moderate_steal_interval = caf::defaults::work_stealing::moderate_steal_interval;
  caf::timespan caf_moderate_sleep_duration = caf::defaults::work_stealing::moderate_sleep_duration;
  std::size_t caf_relaxed_steal_interval = caf::defaults::work_stealing::relaxed_steal_interval;
  caf::timespan caf_relaxed_sleep_duration = caf::defaults::work_stealing::relaxed_sleep_duration;
  caf::timespan caf_heartbeat_interval = std::chrono::seconds(1);
  caf::timespan caf_connection_timeout = std::chrono::seconds(5);
};

// Every option, bound to `values`; `values` must outlive the table.
cli::option_table options_of(settings& values);

// What `evstream` reads besides its arguments: EVSTREAM_* and evstream.ini.
cli::sources sources_of(std::vector<std::string> args);

// The options as the service takes them, or a sentence saying which value is wrong.
result<service_options, std::string> to_service_options(const settings& values);

// The ingest token: --ingest-token, or the contents of --ingest-token-file.
result<std::string, problem> ingest_token_value(const settings& values);

// Whether the options need CAF's network layer (main loads it then only).
bool relays(const settings& values);

// The relay link's TLS files, checked, or a sentence saying what is wrong;
// none when the link is plain (--relay-insecure) or there is none.
result<std::optional<relay_tls_files>, std::string> relay_tls(const settings& values);

// CAF's options (caf.*) and the relay messages, into the actor system's config.
void configure(caf::actor_system_config& config, const settings& values);

} // namespace evstream
