#include "web/tls.h"

#include <fcntl.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <memory>

namespace outpost::web {
namespace {

template <typename T, void (*F)(T*)>
struct Free {
  void operator()(T* p) const { F(p); }
};
using PKey = std::unique_ptr<EVP_PKEY, Free<EVP_PKEY, EVP_PKEY_free>>;
using Cert = std::unique_ptr<X509, Free<X509, X509_free>>;
using Ext = std::unique_ptr<X509_EXTENSION, Free<X509_EXTENSION, X509_EXTENSION_free>>;

struct FileCloser {
  void operator()(FILE* f) const { std::fclose(f); }
};
using File = std::unique_ptr<FILE, FileCloser>;

// Opens `path` for writing with `mode`, replacing any old file.
Result<File> Create(const std::string& path, mode_t mode) {
  ::unlink(path.c_str());
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
  if (fd < 0) return Status::IoError(path + ": cannot create");
  ::fchmod(fd, mode);
  FILE* f = ::fdopen(fd, "w");
  if (!f) {
    ::close(fd);
    return Status::IoError(path + ": cannot open");
  }
  return File(f);
}

Status AddExt(X509* cert, int nid, const char* value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, cert, cert, nullptr, nullptr, 0);
  Ext ext(X509V3_EXT_conf_nid(nullptr, &ctx, nid, value));
  if (!ext || X509_add_ext(cert, ext.get(), -1) != 1) {
    return Status::Internal("TLS certificate: cannot add extension");
  }
  return Status::Ok();
}

Result<Cert> SelfSigned(EVP_PKEY* key, const std::string& cn) {
  Cert cert(X509_new());
  if (!cert) return Status::Internal("TLS certificate: out of memory");
  X509_set_version(cert.get(), 2);
  unsigned char serial[16];
  RAND_bytes(serial, sizeof serial);
  serial[0] &= 0x7f;
  BIGNUM* bn = BN_bin2bn(serial, sizeof serial, nullptr);
  BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(cert.get()));
  BN_free(bn);
  X509_gmtime_adj(X509_getm_notBefore(cert.get()), -3600);
  X509_gmtime_adj(X509_getm_notAfter(cert.get()), 10L * 365 * 86400);
  X509_set_pubkey(cert.get(), key);
  X509_NAME* name = X509_get_subject_name(cert.get());
  X509_NAME_add_entry_by_txt(name, "O", MBSTRING_UTF8,
                             reinterpret_cast<const unsigned char*>("Outpost"), -1, -1, 0);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8,
                             reinterpret_cast<const unsigned char*>(cn.substr(0, 64).c_str()), -1,
                             -1, 0);
  X509_set_issuer_name(cert.get(), name);
  OUTPOST_RETURN_IF_ERROR(AddExt(cert.get(), NID_basic_constraints, "critical,CA:FALSE"));
  OUTPOST_RETURN_IF_ERROR(
      AddExt(cert.get(), NID_subject_alt_name, "DNS:localhost,IP:127.0.0.1,IP:::1"));
  if (X509_sign(cert.get(), key, EVP_sha256()) == 0) {
    return Status::Internal("TLS certificate: signing failed");
  }
  return cert;
}

}  // namespace

std::string CertPath(const std::string& data_dir) { return data_dir + "/web-cert.pem"; }
std::string KeyPath(const std::string& data_dir) { return data_dir + "/web-key.pem"; }

Status EnsureCertificate(const std::string& data_dir, const std::string& common_name) {
  struct stat st {};
  if (::stat(CertPath(data_dir).c_str(), &st) == 0) return Status::Ok();
  PKey key(EVP_EC_gen("P-256"));
  if (!key) return Status::Internal("TLS certificate: cannot make an ECDSA P-256 key");
  OUTPOST_ASSIGN_OR_RETURN(Cert cert, SelfSigned(key.get(), common_name));
  {
    OUTPOST_ASSIGN_OR_RETURN(File f, Create(KeyPath(data_dir), 0600));
    if (PEM_write_PrivateKey(f.get(), key.get(), nullptr, nullptr, 0, nullptr, nullptr) != 1 ||
        std::fflush(f.get()) != 0 || ::fsync(::fileno(f.get())) != 0) {
      return Status::IoError(KeyPath(data_dir) + ": cannot write the key");
    }
  }
  // The certificate last: its presence says the pair is complete.
  std::string tmp = CertPath(data_dir) + ".tmp";
  {
    OUTPOST_ASSIGN_OR_RETURN(File f, Create(tmp, 0644));
    if (PEM_write_X509(f.get(), cert.get()) != 1 || std::fflush(f.get()) != 0 ||
        ::fsync(::fileno(f.get())) != 0) {
      return Status::IoError(tmp + ": cannot write the certificate");
    }
  }
  if (::rename(tmp.c_str(), CertPath(data_dir).c_str()) != 0) {
    return Status::IoError(CertPath(data_dir) + ": cannot rename into place");
  }
  return Status::Ok();
}

Result<std::string> CertificateFingerprint(const std::string& cert_path) {
  File f(std::fopen(cert_path.c_str(), "r"));
  if (!f) return Status::NotFound(cert_path + ": no TLS certificate");
  Cert cert(PEM_read_X509(f.get(), nullptr, nullptr, nullptr));
  if (!cert) return Status::InvalidArgument(cert_path + ": holds no PEM certificate");
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  if (X509_digest(cert.get(), EVP_sha256(), md, &n) != 1) {
    return Status::Internal("TLS certificate: digest failed");
  }
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned i = 0; i < n; ++i) {
    if (i) out += ':';
    out += kHex[md[i] >> 4];
    out += kHex[md[i] & 15];
  }
  return out;
}

}  // namespace outpost::web
