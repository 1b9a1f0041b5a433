#include "plugins/inputs/journald/journal.h"

#include <systemd/sd-journal.h>

#include <charconv>
#include <cstdlib>
#include <cstring>

namespace auditrelay {

CursorPosition parse_cursor(std::string_view cursor) {
  CursorPosition p;
  bool have_seqnum = false;
  while (!cursor.empty()) {
    size_t semi = cursor.find(';');
    std::string_view part = cursor.substr(0, semi);
    if (part.starts_with("s=")) {
      p.seqnum_id = part.substr(2);
    } else if (part.starts_with("i=")) {
      std::string_view hex = part.substr(2);
      auto r = std::from_chars(hex.data(), hex.data() + hex.size(), p.seqnum, 16);
      have_seqnum = !hex.empty() && r.ec == std::errc() && r.ptr == hex.data() + hex.size();
    }
    if (semi == std::string_view::npos) break;
    cursor.remove_prefix(semi + 1);
  }
  p.valid = !p.seqnum_id.empty() && have_seqnum;
  return p;
}

std::unique_ptr<Journal> Journal::open(const std::string& directory, std::string& error) {
  sd_journal* j = nullptr;
  // The system journal only: Coder runs as a system service, and user journals need other
  // permissions. No LOCAL_ONLY, so a container that mounts the host's journal reads it.
  int r = directory.empty() ? sd_journal_open(&j, SD_JOURNAL_SYSTEM)
                            : sd_journal_open_directory(&j, directory.c_str(), 0);
  if (r < 0) {
    error = std::string("cannot open the journal") + (directory.empty() ? "" : " in " + directory) +
            ": " + std::strerror(-r);
    return nullptr;
  }
  return std::make_unique<Journal>(j);
}

Journal::~Journal() {
  sd_journal_close(j_);
}

bool Journal::filter(const std::vector<std::string>& units,
                     const std::vector<std::pair<std::string, std::vector<std::string>>>& matches,
                     std::string& error) {
  // sd-journal ORs matches on one field and ANDs different fields: exactly the option's meaning.
  auto add = [&](const std::string& field, const std::string& value) {
    std::string m = field + "=" + value;
    int r = sd_journal_add_match(j_, m.data(), m.size());
    if (r < 0) error = "cannot match " + m + ": " + std::strerror(-r);
    return r >= 0;
  };
  for (const auto& u : units)
    if (!add("_SYSTEMD_UNIT", u)) return false;
  for (const auto& [field, values] : matches)
    for (const auto& v : values)
      if (!add(field, v)) return false;
  return true;
}

void Journal::set_field_limit(size_t bytes) {
  sd_journal_set_data_threshold(j_, bytes);
}

bool Journal::seek_head() {
  return sd_journal_seek_head(j_) >= 0;
}

std::string Journal::seek_tail() {
  std::string last;
  if (sd_journal_seek_tail(j_) < 0) return last;
  // After seek_tail, previous() stands on the last entry, so next() returns only newer ones.
  if (sd_journal_previous(j_) > 0) cursor(last);
  return last;
}

bool Journal::seek_cursor(const std::string& c) {
  return sd_journal_seek_cursor(j_, c.c_str()) >= 0;
}

bool Journal::is_at(const std::string& c) {
  return sd_journal_test_cursor(j_, c.c_str()) > 0;
}

int Journal::next() {
  return sd_journal_next(j_);
}

void Journal::read(JournalEntry& out, size_t padding) {
  for (auto* s : {&out.message, &out.unit, &out.hostname, &out.pid, &out.boot_id}) s->clear();
  out.priority = -1;
  if (sd_journal_get_realtime_usec(j_, &out.realtime_usec) < 0) out.realtime_usec = 0;
  const void* data = nullptr;
  size_t len = 0;
  // One pass over the entry's fields (each sd_journal_get_data call would walk them again).
  sd_journal_restart_data(j_);
  while (sd_journal_enumerate_available_data(j_, &data, &len) > 0) {
    std::string_view f(static_cast<const char*>(data), len);
    auto take = [&](std::string_view name, std::string& into) {
      if (f.size() <= name.size() || !f.starts_with(name) || f[name.size()] != '=') return false;
      into.assign(f.substr(name.size() + 1));
      return true;
    };
    if (f.starts_with("MESSAGE=")) {
      std::string_view m = f.substr(8);
      out.message.reserve(m.size() + padding);
      out.message.assign(m);
      continue;
    }
    if (take("_SYSTEMD_UNIT", out.unit) || take("_HOSTNAME", out.hostname) ||
        take("_PID", out.pid) || take("_BOOT_ID", out.boot_id))
      continue;
    if (f.size() == 10 && f.starts_with("PRIORITY=") && f[9] >= '0' && f[9] <= '7')
      out.priority = f[9] - '0';
  }
}

bool Journal::cursor(std::string& out) {
  char* c = nullptr;
  if (sd_journal_get_cursor(j_, &c) < 0) return false;
  out.assign(c);
  std::free(c);
  return true;
}

bool Journal::wait(uint64_t timeout_us) {
  int r = sd_journal_wait(j_, timeout_us);
  return r == SD_JOURNAL_APPEND || r == SD_JOURNAL_INVALIDATE;
}

uint64_t Journal::usage() {
  uint64_t bytes = 0;
  return sd_journal_get_usage(j_, &bytes) < 0 ? 0 : bytes;
}

}  // namespace auditrelay
