// Status and Result<T>: expected failures as values.
//
// Every fallible call in Outpost returns a Status or a Result<T>. Codes are
// few and specific; the message names the field, the value and the rule, e.g.
//   movement.container: "CSQU3054384" fails the ISO 6346 check digit (expected 3)
// Library errors (SQLite codes, libsodium's -1, asio::error_code,
// kj::Exception) are translated once, at the wrapper that calls them.
#ifndef OUTPOST_BASE_STATUS_H_
#define OUTPOST_BASE_STATUS_H_

#include <cassert>
#include <ostream>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace outpost {

enum class Code {
  kOk = 0,
  kInvalidArgument,     // bad input from a user or a file: refused, nothing written
  kNotFound,            // the named thing does not exist
  kAlreadyExists,       // a create found the thing already there
  kCorruption,          // stored or received bytes fail an integrity check
  kIoError,             // the disk or the network failed
  kUnavailable,         // try again later: peer unreachable, link down
  kBusy,                // another process holds the store
  kUnauthenticated,     // a key, signature or passphrase did not verify
  kPermissionDenied,    // authenticated but not allowed (scope, role, revoked)
  kConflict,            // contradicts what is stored (equivocation, version)
  kFailedPrecondition,  // the store or node is not in a state for this call
  kInternal,            // a bug; also logged
};

std::string_view CodeName(Code code);
inline std::ostream& operator<<(std::ostream& os, Code c) { return os << CodeName(c); }

class [[nodiscard]] Status {
 public:
  Status() = default;  // OK
  Status(Code code, std::string message) : code_(code), message_(std::move(message)) {}

  static Status Ok() { return Status(); }
  static Status InvalidArgument(std::string m) { return {Code::kInvalidArgument, std::move(m)}; }
  static Status NotFound(std::string m) { return {Code::kNotFound, std::move(m)}; }
  static Status AlreadyExists(std::string m) { return {Code::kAlreadyExists, std::move(m)}; }
  static Status Corruption(std::string m) { return {Code::kCorruption, std::move(m)}; }
  static Status IoError(std::string m) { return {Code::kIoError, std::move(m)}; }
  static Status Unavailable(std::string m) { return {Code::kUnavailable, std::move(m)}; }
  static Status Busy(std::string m) { return {Code::kBusy, std::move(m)}; }
  static Status Unauthenticated(std::string m) { return {Code::kUnauthenticated, std::move(m)}; }
  static Status PermissionDenied(std::string m) { return {Code::kPermissionDenied, std::move(m)}; }
  static Status Conflict(std::string m) { return {Code::kConflict, std::move(m)}; }
  static Status FailedPrecondition(std::string m) {
    return {Code::kFailedPrecondition, std::move(m)};
  }
  static Status Internal(std::string m) { return {Code::kInternal, std::move(m)}; }

  bool ok() const { return code_ == Code::kOk; }
  Code code() const { return code_; }
  const std::string& message() const { return message_; }
  // "invalid argument: movement.time: ..." (or "ok").
  std::string ToString() const;

  // Returns a copy whose message is "context: message"; OK stays OK.
  Status WithContext(std::string_view context) const;

 private:
  Code code_ = Code::kOk;
  std::string message_;
};

// A value or the Status that explains why there is none.
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}        // NOLINT: implicit by design
  Result(Status status) : v_(std::move(status)) {  // NOLINT
    assert(!std::get<Status>(v_).ok() && "Result built from an OK Status");
  }

  bool ok() const { return v_.index() == 0; }
  const Status& status() const {
    static const Status kOkStatus;
    return ok() ? kOkStatus : std::get<1>(v_);
  }
  T& value() & {
    assert(ok());
    return std::get<0>(v_);
  }
  const T& value() const& {
    assert(ok());
    return std::get<0>(v_);
  }
  T&& value() && {
    assert(ok());
    return std::get<0>(std::move(v_));
  }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T&& operator*() && { return std::move(*this).value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

 private:
  std::variant<T, Status> v_;
};

}  // namespace outpost

#define OUTPOST_CONCAT_INNER_(a, b) a##b
#define OUTPOST_CONCAT_(a, b) OUTPOST_CONCAT_INNER_(a, b)

// Returns from the enclosing function if `expr` (a Status) is not OK.
#define OUTPOST_RETURN_IF_ERROR(expr)                  \
  do {                                                 \
    ::outpost::Status outpost_status_ = (expr);        \
    if (!outpost_status_.ok()) return outpost_status_; \
  } while (0)

// `lhs` = value of `expr` (a Result<T>), or returns its Status.
#define OUTPOST_ASSIGN_OR_RETURN(lhs, expr) \
  OUTPOST_ASSIGN_OR_RETURN_IMPL_(OUTPOST_CONCAT_(outpost_result_, __LINE__), lhs, expr)
#define OUTPOST_ASSIGN_OR_RETURN_IMPL_(tmp, lhs, expr) \
  auto tmp = (expr);                                   \
  if (!tmp.ok()) return tmp.status();                  \
  lhs = std::move(tmp).value()

#endif  // OUTPOST_BASE_STATUS_H_
