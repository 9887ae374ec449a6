#include "bench/tls_material.hpp"

#include <openssl/bio.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <cstdio>
#include <functional>
#include <memory>
#include <stdexcept>
#include <utility>

namespace evstream::bench {

namespace {

template <class T, void (*Free)(T*)>
struct freer {
  void operator()(T* p) const { Free(p); }
};
template <class T, void (*Free)(T*)>
using owned = std::unique_ptr<T, freer<T, Free>>;

void write_pem(const std::string& path, const std::function<int(std::FILE*)>& write) {
  std::unique_ptr<std::FILE, int (*)(std::FILE*)> file{std::fopen(path.c_str(), "w"), std::fclose};
  if (!file || write(file.get()) != 1) throw std::runtime_error("cannot write " + path);
}

} // namespace

tls_files write_self_signed_certificate(const std::string& dir) {
  tls_files files{dir + "/cert.pem", dir + "/key.pem"};
  owned<EVP_PKEY, EVP_PKEY_free> key{EVP_EC_gen("P-256")};
  owned<X509, X509_free> cert{X509_new()};
  if (!key || !cert) throw std::runtime_error("OpenSSL could not make a key or certificate");
  X509_set_version(cert.get(), 2);
  ASN1_INTEGER_set(X509_get_serialNumber(cert.get()), 1);
  X509_gmtime_adj(X509_getm_notBefore(cert.get()), -60);
  X509_gmtime_adj(X509_getm_notAfter(cert.get()), 3600);
  X509_set_pubkey(cert.get(), key.get());
  auto* subject = X509_get_subject_name(cert.get());
  X509_NAME_add_entry_by_txt(subject, "CN", MBSTRING_ASC, reinterpret_cast<const unsigned char*>("127.0.0.1"),
                             -1, -1, 0);
  X509_set_issuer_name(cert.get(), subject);
  X509V3_CTX context;
  X509V3_set_ctx_nodb(&context);
  X509V3_set_ctx(&context, cert.get(), cert.get(), nullptr, nullptr, 0);
  auto* extension = X509V3_EXT_conf_nid(nullptr, &context, NID_subject_alt_name, "IP:127.0.0.1");
  X509_add_ext(cert.get(), extension, -1);
  X509_EXTENSION_free(extension);
  if (X509_sign(cert.get(), key.get(), EVP_sha256()) == 0) throw std::runtime_error("X509_sign failed");
  write_pem(files.cert_file, [&](std::FILE* f) { return PEM_write_X509(f, cert.get()); });
  write_pem(files.key_file, [&](std::FILE* f) {
    return PEM_write_PrivateKey(f, key.get(), nullptr, nullptr, 0, nullptr, nullptr);
  });
  return files;
}

std::string tls_client_hello() {
  owned<SSL_CTX, SSL_CTX_free> ctx{SSL_CTX_new(TLS_client_method())};
  if (!ctx) throw std::runtime_error("SSL_CTX_new failed");
  owned<SSL, SSL_free> ssl{SSL_new(ctx.get())};
  if (!ssl) throw std::runtime_error("SSL_new failed");
  // Memory BIOs: the handshake's first flight lands in `out`, nothing is sent.
  BIO* in = BIO_new(BIO_s_mem());
  BIO* out = BIO_new(BIO_s_mem());
  SSL_set_bio(ssl.get(), in, out); // ssl owns both now
  SSL_set_connect_state(ssl.get());
  SSL_set_tlsext_host_name(ssl.get(), "localhost");
  if (SSL_do_handshake(ssl.get()) != -1 || SSL_get_error(ssl.get(), -1) != SSL_ERROR_WANT_READ)
    throw std::runtime_error("the TLS client did not stop for the server's hello");
  char* data = nullptr;
  const long size = BIO_get_mem_data(out, &data);
  if (size <= 0) throw std::runtime_error("no ClientHello was written");
  return {data, static_cast<std::size_t>(size)};
}

} // namespace evstream::bench
