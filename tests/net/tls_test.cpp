// https:// and wss:// on one port, with a certificate the test makes itself.
#include "actors/demo_chain.hpp"
#include "actors/messages.hpp"
#include "app/service.hpp"
#include "schema/stream_events.hpp"
#include "server_fixture.hpp"
#include "test_certificate.hpp"

#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>
#include <boost/json.hpp>
#include <catch2/catch.hpp>

#include <cstdio>
#include <filesystem>
#include <memory>

using namespace std::chrono_literals;
using namespace evstream;
namespace asio = boost::asio;
namespace ssl = boost::asio::ssl;
namespace http = boost::beast::http;
namespace websocket = boost::beast::websocket;
using tcp = asio::ip::tcp;
using evstream::testing::test_certificate;
using evstream::testing::threaded;

namespace {

struct tls_fixture {
  test_certificate certificate;
  caf::actor_system_config cfg;
  caf::actor_system sys{threaded(cfg)};
  std::unique_ptr<service> server;
  asio::io_context io;
  // The client trusts exactly the test's certificate and checks the name.
  ssl::context client_tls{ssl::context::tls_client};

  tls_fixture() {
    service_options options;
    options.port = 0;
    options.source = block_source_kind::ingest;
    options.server.tls_cert_file = certificate.cert_file;
    options.server.tls_key_file = certificate.key_file;
    server = std::make_unique<service>(sys, options);
    client_tls.load_verify_file(certificate.cert_file);
    client_tls.set_verify_mode(ssl::verify_peer);
    client_tls.set_verify_callback(ssl::host_name_verification("127.0.0.1"));
  }
  ~tls_fixture() { server->stop(); }

  template <class Stream>
  void connect(Stream& stream) {
    auto& socket = boost::beast::get_lowest_layer(stream);
    socket.connect({asio::ip::make_address("127.0.0.1"), server->port()});
    timeval deadline{10, 0};
    ::setsockopt(socket.native_handle(), SOL_SOCKET, SO_RCVTIMEO, &deadline, sizeof deadline);
  }

  http::response<http::string_body> https_request(http::verb method, const std::string& target,
                                                  const std::string& body = {}) {
    ssl::stream<tcp::socket> stream{io, client_tls};
    connect(stream);
    stream.handshake(ssl::stream_base::client);
    http::request<http::string_body> req{method, target, 11};
    req.set(http::field::host, "127.0.0.1:" + std::to_string(server->port()));
    if (method == http::verb::post) req.set(http::field::content_type, "application/json");
    req.body() = body;
    req.prepare_payload();
    http::write(stream, req);
    boost::beast::flat_buffer buffer;
    http::response<http::string_body> res;
    http::read(stream, buffer, res);
    return res;
  }
};

} // namespace

TEST_CASE_METHOD(tls_fixture, "under TLS, discovery answers over https and advertises wss") {
  auto res = https_request(http::verb::get, "/");
  CHECK(res.result() == http::status::ok);
  auto links = boost::json::parse(res.body()).at("_links");
  CHECK(links.at("streams_v1").as_string()
        == "wss://127.0.0.1:" + std::to_string(server->port()) + "/api/v1/streams/");
}

TEST_CASE_METHOD(tls_fixture, "under TLS, a wss subscriber gets pong and every event of an ingested block") {
  websocket::stream<ssl::stream<tcp::socket>> ws{io, client_tls};
  connect(ws);
  ws.next_layer().handshake(ssl::stream_base::client);
  ws.handshake("127.0.0.1", "/api/v1/streams/valid_tx");
  boost::beast::flat_buffer buffer;
  ws.write(asio::buffer(std::string{"ping"}));
  ws.read(buffer);
  CHECK(boost::beast::buffers_to_string(buffer.data()) == "pong");

  demo_chain chain{11};
  auto block_json = chain.next_block_json(50);
  REQUIRE(https_request(http::verb::post, "/api/v1/blocks", block_json).result() == http::status::accepted);
  for (auto& event : evstream::testing::events_of(block_json)) {
    buffer.clear();
    ws.read(buffer);
    REQUIRE(boost::beast::buffers_to_string(buffer.data()) == event);
  }
  ws.close(websocket::close_code::normal);
}

TEST_CASE_METHOD(tls_fixture, "under TLS, a plain-text client gets no answer in clear text") {
  tcp::socket plain{io};
  connect(plain);
  std::string request = "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";
  asio::write(plain, asio::buffer(request));
  char reply[256];
  boost::system::error_code ec;
  auto n = plain.read_some(asio::buffer(reply), ec);
  CHECK(std::string(reply, ec ? 0 : n).find("HTTP/1.1 200") == std::string::npos);
}

TEST_CASE("a missing certificate or key file stops the service, naming the option and the path") {
  caf::actor_system_config cfg;
  caf::actor_system sys{threaded(cfg)};
  service_options options;
  options.port = 0;
  options.server.tls_cert_file = "/nonexistent/cert.pem";
  options.server.tls_key_file = "/nonexistent/key.pem";
  CHECK_THROWS_WITH(service(sys, options),
                    Catch::StartsWith("--tls-cert: cannot load \"/nonexistent/cert.pem\": "));
  test_certificate certificate;
  options.server.tls_cert_file = certificate.cert_file;
  CHECK_THROWS_WITH(service(sys, options),
                    Catch::StartsWith("--tls-key: cannot load \"/nonexistent/key.pem\": "));
}
