// A self-signed certificate for 127.0.0.1 and its key, made by the test
// itself as PEM files in a fresh directory: for the HTTPS port, and as CA,
// certificate and key at once for a relay link.
#pragma once

#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include <cstdio>
#include <filesystem>
#include <memory>
#include <utility>

namespace evstream::testing {

struct test_certificate {
  std::filesystem::path dir;
  std::filesystem::path cert_file;
  std::filesystem::path key_file;

  test_certificate() {
    char name[] = "/tmp/evstream-tls-XXXXXX";
    dir = ::mkdtemp(name);
    cert_file = dir / "cert.pem";
    key_file = dir / "key.pem";
    std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> key{EVP_EC_gen("P-256"), EVP_PKEY_free};
    std::unique_ptr<X509, decltype(&X509_free)> cert{X509_new(), X509_free};
    X509_set_version(cert.get(), 2);
    ASN1_INTEGER_set(X509_get_serialNumber(cert.get()), 1);
    X509_gmtime_adj(X509_getm_notBefore(cert.get()), -60);
    X509_gmtime_adj(X509_getm_notAfter(cert.get()), 3600);
    X509_set_pubkey(cert.get(), key.get());
    auto* subject = X509_get_subject_name(cert.get());
    X509_NAME_add_entry_by_txt(subject, "CN", MBSTRING_ASC,
                               reinterpret_cast<const unsigned char*>("127.0.0.1"), -1, -1, 0);
    X509_set_issuer_name(cert.get(), subject);
    X509V3_CTX context;
    X509V3_set_ctx_nodb(&context);
    X509V3_set_ctx(&context, cert.get(), cert.get(), nullptr, nullptr, 0);
    for (auto [nid, value] : {std::pair{NID_subject_alt_name, "IP:127.0.0.1"},
                              std::pair{NID_basic_constraints, "critical,CA:TRUE"}}) {
      auto* extension = X509V3_EXT_conf_nid(nullptr, &context, nid, value);
      X509_add_ext(cert.get(), extension, -1);
      X509_EXTENSION_free(extension);
    }
    X509_sign(cert.get(), key.get(), EVP_sha256());
    auto* out = std::fopen(cert_file.c_str(), "w");
    PEM_write_X509(out, cert.get());
    std::fclose(out);
    out = std::fopen(key_file.c_str(), "w");
    PEM_write_PrivateKey(out, key.get(), nullptr, nullptr, 0, nullptr, nullptr);
    std::fclose(out);
  }
  ~test_certificate() { std::filesystem::remove_all(dir); }
};

} // namespace evstream::testing
