#pragma once
// Real journal files for the journald input's tests, written by systemd-journal-remote from the
// journal export format, so no running journald is needed.
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

namespace auditrelay::test {

inline const char* kJournalRemote = "/lib/systemd/systemd-journal-remote";
inline const char* kBootId = "0123456789abcdef0123456789abcdef";

struct JournalLine {
  std::string unit = "coder.service";
  std::string message;
  int pid = 4242;
  int priority = 6;            // -1: none
  uint64_t realtime_usec = 0;  // 0: filled in by JournalWriter (one microsecond apart)
  std::string hostname = "coder-vm";
};

// Appends one field in the export format: KEY=value, or the binary form when value holds a
// line break.
inline void export_field(std::string& out, const std::string& key, const std::string& value) {
  if (value.find('\n') == std::string::npos) {
    out += key + "=" + value + "\n";
    return;
  }
  out += key + "\n";
  uint64_t n = value.size();
  for (int i = 0; i < 8; ++i) out.push_back(static_cast<char>((n >> (8 * i)) & 0xff));  // LE
  out += value + "\n";
}

// One entry in the export format, written at `realtime_usec`.
inline void export_entry(std::string& out, const JournalLine& l, uint64_t realtime_usec) {
  export_field(out, "__REALTIME_TIMESTAMP", std::to_string(realtime_usec));
  export_field(out, "__MONOTONIC_TIMESTAMP", std::to_string(realtime_usec - 1700000000000000));
  export_field(out, "_BOOT_ID", kBootId);
  if (!l.unit.empty()) export_field(out, "_SYSTEMD_UNIT", l.unit);
  export_field(out, "_HOSTNAME", l.hostname);
  export_field(out, "_PID", std::to_string(l.pid));
  if (l.priority >= 0) export_field(out, "PRIORITY", std::to_string(l.priority));
  export_field(out, "MESSAGE", l.message);
  out += "\n";
}

// Runs systemd-journal-remote to write `file` (its name ends in .journal) from `export_text`.
inline bool run_journal_remote(const std::string& file, const std::string& export_text) {
  std::string cmd = std::string(kJournalRemote) + " -o " + file + " - >/dev/null 2>&1";
  FILE* p = ::popen(cmd.c_str(), "w");
  if (!p) return false;
  bool wrote = std::fwrite(export_text.data(), 1, export_text.size(), p) == export_text.size();
  return ::pclose(p) == 0 && wrote;
}

// Writes journal files with increasing times, as one journald would over time.
class JournalWriter {
 public:
  explicit JournalWriter(uint64_t start_usec = 1758024000000000) : clock_(start_usec) {}

  // Writes `lines` into dir/name (name ends in .journal). The file is made next to it under
  // another name and renamed in, so a reader never sees it half written. false on failure.
  bool write(const std::string& dir, const std::string& name,
             const std::vector<JournalLine>& lines) {
    std::string text;
    for (const auto& l : lines) export_entry(text, l, l.realtime_usec ? l.realtime_usec : ++clock_);
    std::string staging = dir + ".staging";  // beside it: same file system, not read
    std::filesystem::create_directories(staging);
    std::string tmp = staging + "/" + name;
    std::filesystem::remove(tmp);
    if (!run_journal_remote(tmp, text)) return false;
    std::error_code ec;
    std::filesystem::rename(tmp, dir + "/" + name, ec);
    return !ec;
  }

 private:
  uint64_t clock_;
};

}  // namespace auditrelay::test
