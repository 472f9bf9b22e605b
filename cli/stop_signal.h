// SIGINT/SIGTERM for the commands that serve until stopped (`serve`, `run`,
// `web`): the handler sets one flag they poll. The only process-wide state
// of the CLI, because a signal handler can reach nothing else.
#ifndef OUTPOST_CLI_STOP_SIGNAL_H_
#define OUTPOST_CLI_STOP_SIGNAL_H_

#include <atomic>

namespace outpost::cli {

// Set once SIGINT or SIGTERM arrived.
std::atomic<bool>& StopRequested();
// Installs the handlers (and ignores SIGPIPE).
void InstallStopHandlers();

}  // namespace outpost::cli

#endif  // OUTPOST_CLI_STOP_SIGNAL_H_
