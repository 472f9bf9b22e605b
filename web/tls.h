// The node's HTTPS certificate: made by `outpost init` (self-signed, ECDSA
// P-256, valid ten years), or a certificate the admin installs in its place
// (the same two PEM files). Officers' browsers pin it by the fingerprint
// `outpost status` shows.
//
//   DATA/web-cert.pem   the certificate (mode 0644)
//   DATA/web-key.pem    its private key (mode 0600, never leaves the node)
#ifndef OUTPOST_WEB_TLS_H_
#define OUTPOST_WEB_TLS_H_

#include <string>

#include "base/status.h"

namespace outpost::web {

std::string CertPath(const std::string& data_dir);
std::string KeyPath(const std::string& data_dir);

// Makes the pair if the certificate file is missing; keeps an existing one.
// `common_name` names the node (e.g. "Gradiška crossing"). kIoError when a
// file cannot be written, kInternal when OpenSSL fails.
Status EnsureCertificate(const std::string& data_dir, const std::string& common_name);

// "AB:CD:..." the SHA-256 of the certificate's DER bytes. kNotFound when the
// file is missing, kInvalidArgument when it holds no PEM certificate.
Result<std::string> CertificateFingerprint(const std::string& cert_path);

}  // namespace outpost::web

#endif  // OUTPOST_WEB_TLS_H_
