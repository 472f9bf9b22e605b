#include "cli/context.h"

#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <iostream>

#include "base/file.h"
#include "cli/config.h"

namespace outpost::cli {
namespace {

constexpr uint64_t kMaxPassphraseFileBytes = 4096;

std::optional<std::string> ProcessGetenv(const std::string& name) {
  const char* v = std::getenv(name.c_str());
  if (v == nullptr) return std::nullopt;
  return std::string(v);
}

// Restores the terminal's echo setting however the read ends.
class EchoOff {
 public:
  explicit EchoOff(int fd) : fd_(fd) {
    if (tcgetattr(fd_, &saved_) != 0) return;
    termios quiet = saved_;
    quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
    active_ = tcsetattr(fd_, TCSAFLUSH, &quiet) == 0;
  }
  ~EchoOff() {
    if (active_) tcsetattr(fd_, TCSAFLUSH, &saved_);
  }
  EchoOff(const EchoOff&) = delete;
  EchoOff& operator=(const EchoOff&) = delete;
  bool active() const { return active_; }

 private:
  int fd_;
  termios saved_{};
  bool active_ = false;
};

Result<std::string> ProcessReadSecret(const std::string& prompt) {
  std::cerr << prompt << std::flush;
  std::string line;
  line.reserve(1024);  // on the heap, so returning it moves the buffer rather than copying
  {
    EchoOff echo_off(STDIN_FILENO);
    // Refuse to read a secret that would be echoed on the screen.
    if (!echo_off.active()) {
      std::cerr << "\n";
      return Status::IoError("cannot turn off terminal echo for the passphrase prompt");
    }
    std::getline(std::cin, line);
  }
  std::cerr << "\n";
  if (!std::cin) return Status::InvalidArgument("no passphrase: the prompt got end of input");
  if (!line.empty() && line.back() == '\r') line.pop_back();
  return line;
}

std::optional<unsigned> ProcessFileMode(const std::string& path) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) return std::nullopt;
  return static_cast<unsigned>(st.st_mode & 07777);
}

// An empty value counts as unset, as shells make it easy to export one by accident.
std::optional<std::string> NonEmptyEnv(const Environment& env, const std::string& name) {
  auto v = env.getenv(name);
  if (!v || v->empty()) return std::nullopt;
  return v;
}

// The data directory named by the system-wide config file: $OUTPOST_CONFIG
// (which must exist) or /etc/outpost/outpost.toml (if present). nullopt when
// there is no file or it names none; an invalid file is an error, naming it.
Result<std::optional<std::string>> SystemConfig(const Environment& env) {
  std::string path = kSystemConfigPath;
  bool required = false;
  if (auto v = NonEmptyEnv(env, "OUTPOST_CONFIG")) {
    path = *v;
    required = true;
  }
  std::error_code ec;
  if (!required && !std::filesystem::exists(path, ec)) return std::optional<std::string>();
  auto bytes = ReadFile(path, 1 << 20);
  if (!bytes.ok()) return bytes.status().WithContext("config file " + path);
  OUTPOST_ASSIGN_OR_RETURN(NodeConfig c,
                           ParseConfig(std::string(bytes->begin(), bytes->end()), path));
  if (c.data_dir.empty()) return std::optional<std::string>();
  return std::optional<std::string>(c.data_dir);
}

}  // namespace

Environment Environment::Process() {
  Environment e;
  e.getenv = ProcessGetenv;
  e.stdin_is_tty = [] { return isatty(STDIN_FILENO) == 1; };
  e.read_secret = ProcessReadSecret;
  e.file_mode = ProcessFileMode;
  e.out = &std::cout;
  e.err = &std::cerr;
  return e;
}

Status ValidateOfficerId(const std::string& id) {
  if (id.empty() || id.size() > 64) {
    return Status::InvalidArgument("officer ID \"" + id + "\" must be 1 to 64 characters");
  }
  for (char c : id) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '_' || c == '-';
    if (!ok) {
      return Status::InvalidArgument("officer ID \"" + id +
                                     "\" may contain only letters, digits, '.', '_' and '-'");
    }
  }
  return Status::Ok();
}

Context::Context(Environment env) : env_(std::move(env)) {}

Context::~Context() {
  if (passphrase_ && !passphrase_->empty())
    explicit_bzero(passphrase_->data(), passphrase_->size());
}

Status Context::Resolve() {
  std::string dir;
  if (!data_flag.empty()) {
    dir = data_flag;
    data_dir_source = "flag";
  } else if (auto v = NonEmptyEnv(env_, "OUTPOST_DATA")) {
    dir = *v;
    data_dir_source = "env";
  } else if (auto config = SystemConfig(env_); !config.ok()) {
    return config.status();
  } else if (config->has_value()) {
    dir = **config;
    data_dir_source = "config";
  } else {
    dir = "outpost-data";
    data_dir_source = "default";
  }
  std::error_code ec;
  std::filesystem::path abs = std::filesystem::absolute(dir, ec);
  if (ec) {
    return Status::IoError("data directory \"" + dir +
                           "\": cannot make it absolute: " + ec.message());
  }
  data_dir = abs.lexically_normal().string();
  // "/a/b/" normalises to "/a/b/"; drop the trailing separator for stable output.
  if (data_dir.size() > 1 && data_dir.back() == '/') data_dir.pop_back();

  if (!officer_flag.empty()) {
    OUTPOST_RETURN_IF_ERROR(ValidateOfficerId(officer_flag).WithContext("--officer"));
    officer = officer_flag;
  } else if (auto v = NonEmptyEnv(env_, "OUTPOST_OFFICER")) {
    OUTPOST_RETURN_IF_ERROR(ValidateOfficerId(*v).WithContext("OUTPOST_OFFICER"));
    officer = *v;
  }
  return Status::Ok();
}

Result<std::string> Context::Officer() const {
  if (officer.empty()) {
    return Status::InvalidArgument("no officer: pass --officer ID or set OUTPOST_OFFICER");
  }
  return officer;
}

Result<std::string_view> Context::Passphrase() {
  if (passphrase_) return std::string_view(*passphrase_);

  std::string value;
  std::string source;
  if (!passphrase_file.empty()) {
    auto bytes = ReadFile(passphrase_file, kMaxPassphraseFileBytes);
    if (!bytes.ok()) return bytes.status().WithContext("--passphrase-file");
    value.assign(bytes->begin(), bytes->end());
    explicit_bzero(bytes->data(), bytes->size());
    if (!value.empty() && value.back() == '\n') value.pop_back();
    if (!value.empty() && value.back() == '\r') value.pop_back();
    if (value.empty()) {
      return Status::InvalidArgument("--passphrase-file: \"" + passphrase_file + "\" is empty");
    }
    if (auto mode = env_.file_mode(passphrase_file); mode && (*mode & 077) != 0) {
      err() << "outpost: warning: passphrase file \"" << passphrase_file
            << "\" is readable by other users (chmod 600 it)\n";
    }
    source = "file";
  } else if (auto v = NonEmptyEnv(env_, "OUTPOST_PASSPHRASE")) {
    value = std::move(*v);
    source = "env";
  } else if (env_.stdin_is_tty()) {
    OUTPOST_ASSIGN_OR_RETURN(value, env_.read_secret("Passphrase: "));
    if (value.empty())
      return Status::InvalidArgument("no passphrase: the prompt got an empty line");
    source = "prompt";
  } else {
    return Status::InvalidArgument(
        "no passphrase: pass --passphrase-file FILE or set OUTPOST_PASSPHRASE");
  }
  // Copied, then the source wiped: a move would leave a short passphrase's
  // bytes in the source's inline buffer.
  passphrase_.emplace(value);
  explicit_bzero(value.data(), value.size());
  passphrase_source_ = std::move(source);
  return std::string_view(*passphrase_);
}

std::string Printable(std::string_view text, bool keep_newlines) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(text.size());
  auto byte = [&out](uint8_t b) {
    out += "\\x";
    out += kHex[b >> 4];
    out += kHex[b & 15];
  };
  size_t i = 0;
  while (i < text.size()) {
    const auto c = static_cast<uint8_t>(text[i]);
    if (c < 0x80) {
      bool ok = (c >= 0x20 && c != 0x7f) || (keep_newlines && (c == '\n' || c == '\t'));
      if (ok) {
        out += static_cast<char>(c);
      } else {
        byte(c);
      }
      ++i;
      continue;
    }
    // One UTF-8 sequence, shortest form, no surrogates, at most U+10FFFF.
    size_t len = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : c >= 0xc2 ? 2 : 0;
    if (c > 0xf4) len = 0;
    uint32_t cp = len == 2 ? c & 0x1fu : len == 3 ? c & 0x0fu : c & 0x07u;
    bool valid = len != 0 && i + len <= text.size();
    for (size_t k = 1; valid && k < len; ++k) {
      const auto cc = static_cast<uint8_t>(text[i + k]);
      valid = (cc & 0xc0) == 0x80;
      cp = (cp << 6) | (cc & 0x3fu);
    }
    if (valid) {
      valid = !(len == 3 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) &&
              !(len == 4 && (cp < 0x10000 || cp > 0x10ffff));
    }
    if (!valid) {
      byte(c);
      ++i;
      continue;
    }
    bool control = (cp >= 0x80 && cp <= 0x9f) || (cp >= 0x202a && cp <= 0x202e) ||
                   (cp >= 0x2066 && cp <= 0x2069) || cp == 0x200e || cp == 0x200f || cp == 0x061c;
    if (control) {
      char buf[16];
      std::snprintf(buf, sizeof buf, "\\u{%04x}", static_cast<unsigned>(cp));
      out += buf;
    } else {
      out.append(text.substr(i, len));
    }
    i += len;
  }
  return out;
}

Result<std::string_view> Context::NewPassphrase() {
  if (!passphrase_ && passphrase_file.empty() && !NonEmptyEnv(env_, "OUTPOST_PASSPHRASE") &&
      env_.stdin_is_tty()) {
    OUTPOST_ASSIGN_OR_RETURN(std::string value, env_.read_secret("New passphrase: "));
    if (value.empty()) {
      return Status::InvalidArgument("no passphrase: the prompt got an empty line");
    }
    if (Status weak = CheckPassphraseStrength(value); !weak.ok()) {
      explicit_bzero(value.data(), value.size());
      return weak;
    }
    OUTPOST_ASSIGN_OR_RETURN(std::string again, env_.read_secret("New passphrase again: "));
    bool same = again == value;
    explicit_bzero(again.data(), again.size());
    if (!same) {
      explicit_bzero(value.data(), value.size());
      return Status::InvalidArgument("passphrase: the two entries differ; nothing was created");
    }
    passphrase_ = std::move(value);
    passphrase_source_ = "prompt";
    return std::string_view(*passphrase_);
  }
  OUTPOST_ASSIGN_OR_RETURN(std::string_view value, Passphrase());
  OUTPOST_RETURN_IF_ERROR(CheckPassphraseStrength(value).WithContext(
      passphrase_source_ == "file" ? "--passphrase-file" : "OUTPOST_PASSPHRASE"));
  return value;
}

void Context::Emit(const nlohmann::json& j, const std::string& human) {
  if (json) {
    // JSON escapes control characters itself; invalid UTF-8 (a peer's bytes)
    // becomes U+FFFD instead of an exception.
    out() << j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) << '\n';
    return;
  }
  if (human.empty()) return;
  out() << Printable(human, true);
  if (human.back() != '\n') out() << '\n';
}

}  // namespace outpost::cli
