// Context: what every `outpost` command needs from the command line and the
// process around it, resolved the same way for every command.
//
// Resolution order (first one set wins; an empty value counts as unset):
//   data dir    --data DIR, $OUTPOST_DATA, data_dir in the config file
//               ($OUTPOST_CONFIG, else /etc/outpost/outpost.toml if present),
//               ./outpost-data
//   officer     --officer ID, $OUTPOST_OFFICER (commands that record require it)
//   passphrase  --passphrase-file FILE, $OUTPOST_PASSPHRASE, a prompt with
//               echo off when stdin is a terminal; otherwise an error.
//
// The passphrase is resolved lazily: only commands that open keys ask for it,
// so `outpost paths` never prompts.
//
// Nothing here reads the process directly: environment variables, the
// terminal and the output streams come in through `Environment`, so a test
// hands in fakes. Not thread-safe; one Context per process run.
#ifndef OUTPOST_CLI_CONTEXT_H_
#define OUTPOST_CLI_CONTEXT_H_

#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>

#include "base/passphrase.h"
#include "base/status.h"

namespace outpost::cli {

// The process's surroundings. `Process()` is the real one.
struct Environment {
  // Value of an environment variable, nullopt when unset.
  std::function<std::optional<std::string>(const std::string& name)> getenv;
  // Whether stdin is a terminal (a prompt is possible).
  std::function<bool()> stdin_is_tty;
  // Prints `prompt` and reads one line with echo off, without the newline.
  std::function<Result<std::string>(const std::string& prompt)> read_secret;
  // Permission bits of a file (for the passphrase-file warning); nullopt if unknown.
  std::function<std::optional<unsigned>(const std::string& path)> file_mode;
  std::ostream* out = nullptr;  // not owned; results (human text or JSON)
  std::ostream* err = nullptr;  // not owned; warnings and errors

  // getenv(3), isatty(0), a termios prompt, stat(2), std::cout and std::cerr.
  static Environment Process();
};

// A command handler. Its Status becomes the exit code: OK -> 0, else 1 with
// "outpost: error: <message>" on stderr.
using Handler = std::function<Status()>;

// `text` made safe for a terminal: every byte that is not printable UTF-8 --
// C0 controls (ESC included) but '\n' and '\t' when `keep_newlines`, DEL,
// C1 controls, bidirectional overrides, invalid UTF-8 -- is written as
// \xNN or \u{NNNN}. Peer-supplied text (error reasons, scope names, node
// names) reaches every output through this (Context::Emit does it), so a
// peer cannot send escape sequences to an operator's terminal.
std::string Printable(std::string_view text, bool keep_newlines = false);

struct Context {
  explicit Context(Environment env);
  ~Context();  // wipes the cached passphrase
  Context(const Context&) = delete;
  Context& operator=(const Context&) = delete;

  // --- Global flags exactly as given; CLI11 binds to these. Empty = not given.
  std::string data_flag;        // --data DIR
  std::string passphrase_file;  // --passphrase-file FILE
  std::string officer_flag;     // --officer ID
  bool json = false;            // --json: results on stdout as one JSON document

  // --- Filled by Resolve(), which main calls after parsing, before the handler.
  std::string data_dir;         // absolute, lexically normal
  std::string data_dir_source;  // "flag", "env", "config" or "default"
  std::string officer;          // may be empty: use Officer() where one is needed

  // --- Set by OnRun() (commands.h) for the command chosen on the command line.
  Handler handler;

  // Applies the resolution order above to the data dir and the officer.
  // kInvalidArgument if $OUTPOST_OFFICER or the config file is malformed;
  // kNotFound if $OUTPOST_CONFIG names a missing file.
  Status Resolve();

  // The officer ID, or kInvalidArgument
  // "no officer: pass --officer ID or set OUTPOST_OFFICER".
  Result<std::string> Officer() const;

  // The passphrase, resolved on first call and cached. Errors:
  //   kNotFound / kIoError   the passphrase file cannot be read
  //   kInvalidArgument       the file is empty, or there is no source at all:
  //     "no passphrase: pass --passphrase-file FILE or set OUTPOST_PASSPHRASE"
  // One trailing "\n" or "\r\n" is stripped from the file. Warns on stderr if
  // the file is readable by group or others. The view is of the one copy
  // this Context keeps (wiped when it goes): callers hold no copies.
  Result<std::string_view> Passphrase();
  // The passphrase for a new key file (`init`): from the same sources as
  // Passphrase(), but a prompt asks twice and the two must match; then it
  // must pass CheckPassphraseStrength. kInvalidArgument otherwise. A view of
  // the same kept copy.
  Result<std::string_view> NewPassphrase();
  // Set when the node's key file did not open with the passphrase given
  // (UnlockNodeKeys): main exits with kExitWrongPassphrase, which the
  // systemd unit does not restart on.
  bool wrong_passphrase = false;
  // "file", "env" or "prompt" once Passphrase() succeeded; empty before.
  const std::string& passphrase_source() const { return passphrase_source_; }

  // Prints a command's result: `j` as one line of JSON with --json, else
  // `human` (a newline is added if missing; empty prints nothing).
  void Emit(const nlohmann::json& j, const std::string& human);

  std::ostream& out() { return *env_.out; }
  std::ostream& err() { return *env_.err; }
  const Environment& env() const { return env_; }

 private:
  Environment env_;
  std::optional<std::string> passphrase_;
  std::string passphrase_source_;
};

// The strength rule for new passphrases lives in base/passphrase.h (the
// node's pages check account passwords with it too).
using outpost::CheckPassphraseStrength;
using outpost::EstimatePassphraseBits;
using outpost::kMinPassphraseBits;
using outpost::kMinPassphraseChars;

// Checks an officer ID: 1-64 characters, letters, digits, '.', '_', '-'.
// kInvalidArgument otherwise, quoting the ID (callers add the source as context).
Status ValidateOfficerId(const std::string& id);

}  // namespace outpost::cli

#endif  // OUTPOST_CLI_CONTEXT_H_
