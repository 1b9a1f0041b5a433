#pragma once
// A journal opened with libsystemd's sd-journal API: one owner of the sd_journal handle, and the
// few calls the journald input needs, with errors as text.
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

struct sd_journal;

namespace auditrelay {

// The fields of the current entry the input uses, copied: what sd-journal returns is valid only
// until its next call (a compressed field is decompressed into one buffer per file). The
// strings keep their capacity from entry to entry.
struct JournalEntry {
  std::string message;  // with at least `padding` bytes of capacity after it (Journal::read)
  std::string unit, hostname, pid, boot_id;
  int priority = -1;           // 0 (emerg) .. 7 (debug); -1 when absent
  uint64_t realtime_usec = 0;  // 0 when unknown
};

// What a cursor says about the entry it names (s= and i=): the sequence number space and the
// entry's number in it.
struct CursorPosition {
  std::string_view seqnum_id;
  uint64_t seqnum = 0;
  bool valid = false;
};
CursorPosition parse_cursor(std::string_view cursor);

class Journal {
 public:
  // directory empty: the system journal (/var/log/journal, /run/log/journal). nullptr with
  // `error` when it cannot be opened.
  static std::unique_ptr<Journal> open(const std::string& directory, std::string& error);
  explicit Journal(sd_journal* j) : j_(j) {}  // takes ownership
  ~Journal();
  Journal(const Journal&) = delete;
  Journal& operator=(const Journal&) = delete;

  // Entries of any of `units` (none: every unit) that also have, for every field in `matches`,
  // one of its values.
  bool filter(const std::vector<std::string>& units,
              const std::vector<std::pair<std::string, std::vector<std::string>>>& matches,
              std::string& error);
  // Fields longer than this may be cut by the library (it defaults to 64 KiB).
  void set_field_limit(size_t bytes);

  bool seek_head();
  // Positions after the last entry; returns its cursor (empty when the journal is empty).
  std::string seek_tail();
  bool seek_cursor(const std::string& cursor);
  // True when the current entry is the one `cursor` names.
  bool is_at(const std::string& cursor);

  // 1: moved to the next entry; 0: none yet; negative: -errno.
  int next();
  // Fills `out` from the current entry; `padding` spare bytes stay readable after the message.
  void read(JournalEntry& out, size_t padding);
  // The current entry's cursor, appended to `out` (cleared first).
  bool cursor(std::string& out);
  // Waits up to timeout_us for the journal to change; true when it did (entries appended, files
  // added or removed).
  bool wait(uint64_t timeout_us);
  // Bytes of journal files open (0: no file could be opened).
  uint64_t usage();

 private:
  sd_journal* j_;
};

}  // namespace auditrelay
