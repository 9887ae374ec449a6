// What W7's TLS phase needs from OpenSSL: a self-signed certificate for
// 127.0.0.1 written as PEM files for evstream's --tls-cert/--tls-key, and the
// bytes of one TLS ClientHello, which every aborted handshake sends (whole or
// half) as plain bytes, so no client-side TLS state is kept per connection.
#pragma once

#include <string>

namespace evstream::bench {

struct tls_files {
  std::string cert_file;
  std::string key_file;
};

// Writes cert.pem and key.pem (P-256, valid for an hour) into `dir`; throws
// std::runtime_error when OpenSSL or the files fail.
tls_files write_self_signed_certificate(const std::string& dir);

// A ClientHello for 127.0.0.1 as a TLS client's first flight; throws on failure.
std::string tls_client_hello();

} // namespace evstream::bench
