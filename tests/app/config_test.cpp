#include "app/config.hpp"
#include "test_certificate.hpp"

#include <catch2/catch.hpp>

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

using namespace std::chrono_literals;

namespace {

// The server's options read from `args` (and an INI file and environment, when given).
struct parsed {
  evstream::settings values;
  std::string error; // the front end's refusal
  std::optional<evstream::service_options> options;
  std::string problem; // to_service_options's refusal

  explicit parsed(std::vector<std::string> args, const std::string& ini = "",
                  std::vector<std::string> environment = {}) {
    std::filesystem::path file;
    if (!ini.empty()) {
      file =
          std::filesystem::temp_directory_path() / ("evstream-config-" + std::to_string(::getpid()) + ".ini");
      std::ofstream{file} << ini;
      args.push_back("--config-file=" + file.string());
    }
    auto table = evstream::options_of(values);
    auto sources = evstream::sources_of(std::move(args));
    sources.environment = std::move(environment);
    sources.default_file.clear();
    auto read = evstream::cli::read(table, sources);
    if (!file.empty()) std::filesystem::remove(file);
    if (!read) {
      error = read.error().message;
      return;
    }
    auto service = evstream::to_service_options(values);
    if (service)
      options = std::move(*service);
    else
      problem = std::move(service.error());
  }
};

} // namespace

TEST_CASE("defaults follow the spec: port 9984, three-minute keep-alive, demo source") {
  parsed p{{}};
  REQUIRE(p.options);
  CHECK(p.options->host == "127.0.0.1");
  CHECK(p.options->port == 9984);
  CHECK(p.options->server.keepalive_timeout == 180s);
  CHECK(p.options->source == evstream::block_source_kind::demo);
  CHECK(p.options->server.advertised_url.empty());
  CHECK(p.options->log_level == evstream::ops::log_level::info);
}

TEST_CASE("the actors' worker waits to be woken for work: CAF's sharing scheduler by default") {
  parsed defaults{{}};
  CHECK(defaults.values.caf_policy == "sharing");
  caf::actor_system_config config;
  evstream::configure(config, defaults.values);
  CHECK(caf::get_or(config, "scheduler.policy", caf::atom("")) == caf::atom("sharing"));
  CHECK(parsed{{"--caf.scheduler.policy=stealing"}}.values.caf_policy == "stealing");
}

TEST_CASE("every option is read in --name=value form") {
  parsed p{{"--host=0.0.0.0", "--port=7000", "--advertised-url=wss://node.example.com",
            "--keepalive-timeout=2s", "--source=ingest", "--demo-rate=5.5", "--demo-block-size=1000",
            "--ingest-token=t0k", "--max-message-bytes=100", "--send-budget-bytes=1000", "--send-timeout=4s",
            "--max-body-bytes=2000", "--io-threads=2", "--max-connections=10", "--max-connections-per-ip=3",
            "--max-header-bytes=1024", "--request-timeout=2s", "--handshake-timeout=1500ms",
            "--log-level=warn"}};
  REQUIRE(p.options);
  CHECK(p.options->host == "0.0.0.0");
  CHECK(p.options->port == 7000);
  CHECK(p.options->server.advertised_url == "wss://node.example.com");
  CHECK(p.options->server.keepalive_timeout == 2s);
  CHECK(p.options->source == evstream::block_source_kind::ingest);
  CHECK(p.options->demo.blocks_per_second == 5.5);
  CHECK(p.options->demo.transactions_per_block == 1000);
  CHECK(p.options->server.ingest_token == "t0k");
  CHECK(p.options->server.max_inbound_message_bytes == 100);
  CHECK(p.options->server.send_budget_bytes == 1000);
  CHECK(p.options->server.send_timeout == 4s);
  CHECK(p.options->server.max_body_bytes == 2000);
  CHECK(p.options->io_threads == 2);
  CHECK(p.options->server.max_connections == 10);
  CHECK(p.options->server.max_connections_per_ip == 3);
  CHECK(p.options->server.max_header_bytes == 1024);
  CHECK(p.options->server.request_timeout == 2s);
  CHECK(p.options->server.handshake_timeout == 1500ms);
  CHECK(p.options->log_level == evstream::ops::log_level::warn);
}

TEST_CASE("an INI file sets options and the command line wins over it") {
  parsed p{{"--port=7001"}, "port=7000\nsource=stdin\nkeepalive-timeout=500ms\n"};
  REQUIRE(p.options);
  CHECK(p.options->port == 7001);
  CHECK(p.options->source == evstream::block_source_kind::stdin_lines);
  CHECK(p.options->server.keepalive_timeout == 500ms);
}

TEST_CASE(
    "the advertised URL is one clients can dial: ws or wss, or http and https as their WebSocket twins") {
  auto advertised = [](const std::string& url) {
    parsed p{{"--advertised-url=" + url}};
    REQUIRE(p.options);
    return p.options->server.advertised_url;
  };
  CHECK(advertised("wss://node.example.com") == "wss://node.example.com");
  CHECK(advertised("ws://127.0.0.1:9984/") == "ws://127.0.0.1:9984/");
  CHECK(advertised("https://node.example.com/evstream") == "wss://node.example.com/evstream");
  CHECK(advertised("http://[::1]:9984") == "ws://[::1]:9984");
  for (auto wrong : {"node.example.com", "node.example.com:9984", "ftp://node.example.com", "wss://",
                     "wss://node.example.com/?token=x", "wss://node.example.com/#top"})
    CHECK(parsed{{std::string{"--advertised-url="} + wrong}}.problem
          == std::string{"--advertised-url must be a ws, wss, http or https URL such as "
                         "wss://node.example.com, not \""}
                 + wrong + "\"");
}

TEST_CASE("the ingest token can come from a file, its final newline dropped") {
  auto path = std::filesystem::temp_directory_path() / ("evstream-token-" + std::to_string(::getpid()));
  std::ofstream{path} << "s3cret-from-a-file\n";
  parsed from_file{{"--ingest-token-file=" + path.string()}};
  REQUIRE(from_file.options);
  CHECK(from_file.options->server.ingest_token == "s3cret-from-a-file");
  CHECK(parsed{{"--ingest-token=x", "--ingest-token-file=" + path.string()}}.problem
        == "--ingest-token and --ingest-token-file exclude each other: give one");
  std::ofstream{path} << "\n";
  CHECK(parsed{{"--ingest-token-file=" + path.string()}}.problem
        == "--ingest-token-file: \"" + path.string() + "\" is empty");
  std::filesystem::remove(path);
  CHECK(parsed{{"--ingest-token-file=" + path.string()}}.problem
        == "--ingest-token-file: cannot read \"" + path.string() + "\"");
}

TEST_CASE("a BigchainDB follower (--source=bigchaindb) finds Tendermint on its node's host unless named, and "
          "speaks 2.x") {
  parsed follows{{"--source=bigchaindb", "--bigchaindb-url=http://10.0.0.7:9984", "--bigchaindb-from=42"}};
  REQUIRE(follows.options);
  CHECK(follows.options->source == evstream::block_source_kind::bigchaindb);
  CHECK(follows.options->bigchaindb.tendermint_url == "http://10.0.0.7:26657");
  CHECK(follows.options->bigchaindb.from_height == 42u);
  CHECK(follows.options->server.api == evstream::schema::bigchaindb_api::v2);
  parsed ingest{{"--source=ingest"}};
  REQUIRE(ingest.options);
  CHECK(ingest.options->server.api == evstream::schema::bigchaindb_api::v1);
  CHECK_FALSE(ingest.options->bigchaindb.from_height);
  parsed spoken{{"--source=ingest", "--bigchaindb-api=2"}};
  REQUIRE(spoken.options);
  CHECK(spoken.options->server.api == evstream::schema::bigchaindb_api::v2);

  CHECK(parsed{{"--bigchaindb-api=3"}}.problem == "--bigchaindb-api must be 1 or 2, not \"3\"");
  CHECK(parsed{{"--bigchaindb-from=soon"}}.problem
        == "--bigchaindb-from must be latest or a height of 1 or more, not \"soon\"");
  CHECK(parsed{{"--bigchaindb-url=https://node:9984"}}.problem
        == "--bigchaindb-url: \"https://node:9984\" is not an http:// URL");
  CHECK(parsed{{"--tendermint-url=node:26657"}}.problem
        == "--tendermint-url: \"node:26657\" is not an http:// URL");
}

TEST_CASE("wrong values are refused with a sentence naming the option") {
  CHECK(parsed{{"--source=kafka"}}.problem
        == "--source must be demo, ingest, stdin, bigchaindb or none, not \"kafka\"");
  CHECK(parsed{{"--demo-block-size=1001"}}.problem == "--demo-block-size must be between 1 and 1000");
  CHECK(parsed{{"--demo-rate=0"}}.problem == "--demo-rate must be above 0");
  CHECK(parsed{{"--keepalive-timeout=0s"}}.problem == "--keepalive-timeout must be above 0");
  CHECK(parsed{{"--send-timeout=0s"}}.problem == "--send-timeout must be above 0");
  CHECK(parsed{{"--log-level=verbose"}}.problem
        == "--log-level must be debug, info, warn or error, not \"verbose\"");
  CHECK(parsed{{"--port=70000"}}.error == "--port: \"70000\" is not a port number (0-65535)");
  CHECK(parsed{{"--no-such-option=1"}}.error == "unknown option --no-such-option");
  CHECK(parsed{{"--caf.scheduler.policy=fifo"}}.problem
        == "--caf.scheduler.policy must be stealing or sharing, not \"fifo\"");
}

TEST_CASE(
    "relays: --upstream makes the node a relay of HOST:PORT, --publish-port and --publish-host its feed") {
  parsed relay{
      {"--upstream=origin.internal:9990", "--publish-port=9991", "--host=0.0.0.0", "--relay-insecure"}};
  REQUIRE(relay.options);
  CHECK(relay.options->source == evstream::block_source_kind::upstream);
  CHECK(relay.options->upstream.host == "origin.internal");
  CHECK(relay.options->upstream.port == 9990);
  CHECK(relay.options->publish_port == 9991);
  CHECK(relay.options->publish_host == "0.0.0.0");
  CHECK(evstream::relays(relay.values));

  parsed private_feed{{"--host=0.0.0.0", "--publish-port=0", "--publish-host=10.0.0.5", "--relay-insecure"}};
  REQUIRE(private_feed.options);
  CHECK(private_feed.options->publish_port == 0);
  CHECK(private_feed.options->publish_host == "10.0.0.5");

  parsed ipv6{{"--upstream=[::1]:9990", "--relay-insecure"}};
  REQUIRE(ipv6.options);
  CHECK(ipv6.options->upstream.host == "::1");

  parsed plain{{}};
  REQUIRE(plain.options);
  CHECK_FALSE(plain.options->publish_port);
  CHECK_FALSE(evstream::relays(plain.values));
}

TEST_CASE("relay options that cannot work are refused with the reason") {
  for (const auto* bad :
       {"--upstream=origin.internal", "--upstream=origin.internal:0", "--upstream=:9990",
        "--upstream=user:secret@origin.internal:9990", "--upstream=origin.internal:99999"}) {
    parsed p{{bad}};
    INFO(bad);
    CHECK_FALSE(p.options);
    CHECK(p.problem.find("--upstream must be HOST:PORT") == 0);
  }
  parsed both{{"--upstream=origin.internal:9990", "--source=ingest", "--relay-insecure"}};
  CHECK_FALSE(both.options);
  CHECK(both.problem == "--upstream replaces --source; drop --source=ingest");
  CHECK(parsed{{"--publish-port=70000", "--relay-insecure"}}.error
        == "--publish-port: \"70000\" is not a port number (0-65535)");
}

TEST_CASE("JetStream options that cannot work are refused, and a password in a server URL is never shown") {
  CHECK(parsed{{"--jetstream=nats://127.0.0.1:4222", "--source=none", "--jetstream-cert=node.pem"}}.problem
        == "--jetstream-cert and --jetstream-key go together");
  CHECK(parsed{{"--jetstream=nats://127.0.0.1:4222", "--source=bigchaindb"}}.problem
        == "--jetstream takes blocks from --source=ingest, stdin or demo, or none; not bigchaindb");
  CHECK(parsed{{"--jetstream=nats://127.0.0.1:4222", "--source=stdin"}}.options);
  CHECK(parsed{{"--jetstream=nats://127.0.0.1:4222", "--upstream=origin.internal:9990", "--relay-insecure"}}
            .problem
        == "--jetstream and --upstream exclude each other: a node follows the stream or a relay upstream");
  auto bad = parsed{{"--jetstream=http://user:pw-1234@127.0.0.1:4222", "--source=none"}};
  CHECK(bad.problem.find("--jetstream takes nats://HOST:PORT") == 0);
  CHECK(bad.problem.find("pw-1234") == std::string::npos);
  auto tls = parsed{{"--jetstream=tls://user:pw-1234@127.0.0.1:4222", "--source=none"}};
  REQUIRE(tls.options);
  REQUIRE(tls.options->jetstream);
  CHECK(tls.options->jetstream->servers == std::vector<std::string>{"tls://user:pw-1234@127.0.0.1:4222"});
  CHECK(evstream::net::without_userinfo("tls://user:pw-1234@127.0.0.1:4222") == "tls://127.0.0.1:4222");
  for (const auto& [name, value] : evstream::cli::effective(evstream::options_of(tls.values)))
    CHECK(value.find("pw-1234") == std::string::npos);
}

TEST_CASE("the allowed ingest origins are a list, normalized, and anything else is refused") {
  parsed p{
      {"--ingest-allow-origin=https://Admin.Example.com:443", "--ingest-allow-origin=http://127.0.0.1:8080"}};
  REQUIRE(p.options);
  CHECK(p.options->server.ingest_allowed_origins
        == std::vector<std::string>{"https://admin.example.com", "http://127.0.0.1:8080"});
  CHECK(parsed{{}}.options->server.ingest_allowed_origins.empty());
  CHECK(parsed{{"--ingest-allow-origin=https://admin.example.com"}}.options->server.ingest_allowed_origins
        == std::vector<std::string>{"https://admin.example.com"});
  CHECK(parsed{{"--ingest-allow-origin=https://admin.example.com/"}}.problem
        == "--ingest-allow-origin takes origins like https://admin.example.com (scheme, host and port only), "
           "not \"https://admin.example.com/\"");
  CHECK_FALSE(parsed{{"--ingest-allow-origin=*"}}.options);
  CHECK_FALSE(parsed{{"--ingest-allow-origin=null"}}.options);
  // The file's list replaces, and is never merged with, a weaker source's.
  parsed replaced{
      {"--ingest-allow-origin=https://a.example.com"},
      "ingest-allow-origin = https://b.example.com\ningest-allow-origin = https://c.example.com\n"};
  REQUIRE(replaced.options);
  CHECK(replaced.options->server.ingest_allowed_origins == std::vector<std::string>{"https://a.example.com"});
}

TEST_CASE("relay links are mutual TLS unless --relay-insecure says otherwise, and their files must load") {
  evstream::testing::test_certificate ca; // self-signed: CA, certificate and key at once
  auto tls_options = [&](std::vector<std::string> args) {
    args.push_back("--relay-ca=" + ca.cert_file.string());
    args.push_back("--relay-cert=" + ca.cert_file.string());
    args.push_back("--relay-key=" + ca.key_file.string());
    return args;
  };
  parsed secure{tls_options({"--publish-port=0"})};
  REQUIRE(secure.options);
  REQUIRE(secure.options->relay_tls);
  CHECK(secure.options->relay_tls->ca_file == ca.cert_file.string());
  CHECK(secure.options->relay_tls->key_file == ca.key_file.string());

  parsed insecure{{"--upstream=origin.internal:9990", "--relay-insecure"}};
  REQUIRE(insecure.options);
  CHECK_FALSE(insecure.options->relay_tls);

  CHECK(parsed{{"--publish-port=0"}}.problem
        == "relay links are mutual TLS: give --relay-ca, --relay-cert and --relay-key (or --relay-insecure "
           "for plain "
           "BASP on a trusted network)");
  CHECK(parsed{tls_options({"--publish-port=0", "--relay-insecure"})}.problem
        == "--relay-insecure drops the relay link's TLS: leave out --relay-ca, --relay-cert and --relay-key");
  CHECK(parsed{tls_options({})}.problem
        == "--relay-ca, --relay-cert, --relay-key and --relay-insecure go with --publish-port or --upstream");
  auto swapped = parsed{{"--publish-port=0", "--relay-ca=" + ca.cert_file.string(),
                         "--relay-cert=" + ca.key_file.string(), "--relay-key=" + ca.key_file.string()}};
  CHECK(swapped.problem.find("--relay-cert: cannot load") == 0);
  CHECK(parsed{{"--publish-port=0", "--relay-ca=/nonexistent.pem", "--relay-cert=" + ca.cert_file.string(),
                "--relay-key=" + ca.key_file.string()}}
            .problem.find("--relay-ca: cannot load \"/nonexistent.pem\"")
        == 0);
}

TEST_CASE("every option can come from EVSTREAM_*: the command line wins over it, and it over the file") {
  CHECK(parsed{{}, "port=7000\n", {"EVSTREAM_PORT=7002"}}.options->port == 7002);
  CHECK(parsed{{"--port=7001"}, "port=7000\n", {"EVSTREAM_PORT=7002"}}.options->port == 7001);
  CHECK(parsed{{}, "port=7000\n", {"OTHER_PORT=7002"}}.options->port == 7000);
  parsed token{{},
               "",
               {"EVSTREAM_INGEST_TOKEN=from-the-environment", "EVSTREAM_CAF_SCHEDULER_MAX_THREADS=2",
                "EVSTREAM_RELAY_INSECURE=true", "EVSTREAM_UPSTREAM=origin.internal:9990",
                "EVSTREAM_SOURCE=demo"}};
  REQUIRE(token.options);
  CHECK(token.options->server.ingest_token == "from-the-environment");
  CHECK(token.values.caf_max_threads == 2);
  CHECK(token.values.relay_insecure);
  CHECK(parsed{{}, "", {"EVSTREAM_PROT=7000"}}.error
        == "EVSTREAM_PROT is set, but names no option (did you mean EVSTREAM_PORT?)");
  CHECK(parsed{{}, "", {"EVSTREAM_PORT=abc"}}.error
        == "EVSTREAM_PORT: \"abc\" is not a port number (0-65535)");
}

TEST_CASE("the dump of the configuration shows each value and where it came from, and never a secret") {
  evstream::settings values;
  auto table = evstream::options_of(values);
  auto sources = evstream::sources_of({"--port=7001", "--dump-config"});
  sources.environment = {"EVSTREAM_INGEST_TOKEN=s3cret", "EVSTREAM_KEEPALIVE_TIMEOUT=90s"};
  sources.default_file.clear();
  auto read = evstream::cli::read(table, sources);
  REQUIRE(read.has_value());
  CHECK(values.dump_config);
  auto text = evstream::cli::dump(table, *read);
  INFO(text);
  CHECK(text.find("s3cret") == std::string::npos);
  CHECK(text.find("ingest-token = <redacted>") != std::string::npos);
  CHECK(text.find("# EVSTREAM_INGEST_TOKEN\n") != std::string::npos);
  CHECK(text.find("port = 7001") != std::string::npos);
  CHECK(text.find("# --port\n") != std::string::npos);
  CHECK(text.find("keepalive-timeout = 90s") != std::string::npos);
  CHECK(text.find("host = 127.0.0.1") != std::string::npos);
  CHECK(text.find("caf.scheduler.max-threads = 1") != std::string::npos);
  for (const auto& [name, value] : evstream::cli::effective(table))
    CHECK(value.find("s3cret") == std::string::npos);
}

TEST_CASE("help names the default file, the environment and every group, CAF's apart") {
  evstream::settings values;
  auto text = evstream::cli::describe(evstream::options_of(values));
  CHECK(text.find("--port PORT") != std::string::npos);
  CHECK(text.find("(default 9984)") != std::string::npos);
  CHECK(text.find("(default 3min)") != std::string::npos);
  CHECK(text.find("./evstream.ini") != std::string::npos);
  auto caf_group = text.find("The actor system (CAF's own options):");
  REQUIRE(caf_group != std::string::npos);
  CHECK(text.find("--caf.scheduler.max-threads") > caf_group);
  CHECK(text.find("--tls-cert") < caf_group);
  CHECK(text.find("opencl") == std::string::npos);
}
