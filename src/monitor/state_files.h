// The monitor's state files (see monitor.h for the layout): written by the monitor with
// temp + fsync + rename relative to its state directory fd, read by the client by path.
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>

#include "common/result.h"
#include "monitor/monitor.h"

namespace berth::monitor::files {

struct StateRecord {
    pid_t monitorPid = 0, pid = 0;
    int64_t startedAtNs = 0;
};

Status writeState(int dirFd, const StateRecord& s);
Status writeExit(int dirFd, const ExitStatus& e);

// std::nullopt when the file does not exist (yet).
Result<std::optional<StateRecord>> readState(const std::string& dir);
Result<std::optional<ExitStatus>> readExit(const std::string& dir);

// temp + fsync + rename of dirFd/name.
Status writeAtomicAt(int dirFd, const char* name, std::string_view data);

}  // namespace berth::monitor::files
