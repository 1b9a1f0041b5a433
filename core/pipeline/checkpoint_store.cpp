#include "core/pipeline/checkpoint_store.h"

#include <fcntl.h>
#include <simdjson.h>
#include <spdlog/spdlog.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include <cerrno>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "core/common/atomic_file.h"
#include "core/common/fd_io.h"
#include "core/common/json_writer.h"

namespace auditrelay {

namespace fs = std::filesystem;

CheckpointStore::CheckpointStore(std::string dir) : dir_(std::move(dir)) {}

std::string CheckpointStore::file_path() const {
  return dir_.empty() ? "" : dir_ + "/checkpoints.json";
}

// File layout: one JSON document, then a line "crc32 <hex>" over the document's bytes.
bool CheckpointStore::load() {
  if (dir_.empty()) return true;
  std::ifstream in(file_path(), std::ios::binary);
  if (!in) return true;  // first start
  std::stringstream ss;
  ss << in.rdbuf();
  std::string text = ss.str();
  size_t crc_pos = text.rfind("\ncrc32 ");
  if (crc_pos == std::string::npos) {
    spdlog::warn(
        "checkpoint file {} is incomplete (no checksum); ignoring it and reading sources again",
        file_path());
    return false;
  }
  std::string body = text.substr(0, crc_pos);
  unsigned long want = std::strtoul(text.c_str() + crc_pos + 7, nullptr, 16);
  unsigned long got =
      crc32(0L, reinterpret_cast<const Bytef*>(body.data()), static_cast<uInt>(body.size()));
  if (want != got) {
    spdlog::warn("checkpoint file {} is corrupt (checksum mismatch); ignoring it", file_path());
    return false;
  }
  simdjson::dom::parser parser;
  simdjson::dom::element root;
  if (parser.parse(body).get(root)) {
    spdlog::warn("checkpoint file {} is not valid JSON; ignoring it", file_path());
    return false;
  }
  std::map<std::string, Checkpoint> loaded;
  simdjson::dom::object sources;
  if (root["sources"].get_object().get(sources)) {
    spdlog::warn("checkpoint file {} has no sources; ignoring it", file_path());
    return false;
  }
  for (auto kv : sources) {
    Checkpoint cp;
    std::string_view path, cursor;
    uint64_t off = 0;
    int64_t upd = 0;
    if (!kv.value["path"].get_string().get(path)) cp.path = std::string(path);
    if (!kv.value["offset"].get_uint64().get(off)) cp.offset = off;
    if (!kv.value["cursor"].get_string().get(cursor)) cp.cursor = std::string(cursor);
    if (!kv.value["updated"].get_int64().get(upd)) cp.updated = upd;
    loaded[std::string(kv.key)] = cp;
  }
  std::lock_guard lock(mu_);
  entries_ = std::move(loaded);
  return true;
}

bool CheckpointStore::save() {
  if (dir_.empty()) return true;
  std::lock_guard saving(save_mu_);
  std::string body;
  {
    std::lock_guard lock(mu_);
    if (!dirty_) return true;
    JsonWriter w(body);
    w.begin_object();
    w.key("version");
    w.integer(1);
    w.key("sources");
    w.begin_object();
    for (const auto& [key, cp] : entries_) {
      w.key(key);
      w.begin_object();
      w.field("path", cp.path);
      w.key("offset");
      w.uinteger(cp.offset);
      if (!cp.cursor.empty()) w.field("cursor", cp.cursor);
      w.key("updated");
      w.integer(cp.updated);
      w.end_object();
    }
    w.end_object();
    w.end_object();
    dirty_ = false;
  }
  char crc[32];
  snprintf(crc, sizeof crc, "\ncrc32 %08lx\n",
           crc32(0L, reinterpret_cast<const Bytef*>(body.data()), static_cast<uInt>(body.size())));
  body += crc;
  std::string error;
  bool ok = write_file_atomically(file_path(), body, error);
  if (!ok) {
    spdlog::error("cannot save checkpoints: {}", error);
    std::lock_guard lock(mu_);
    dirty_ = true;
  } else {
    spdlog::debug("checkpoints saved to {}", file_path());
  }
  return ok;
}

std::optional<Checkpoint> CheckpointStore::get(const std::string& key) const {
  std::lock_guard lock(mu_);
  auto it = entries_.find(key);
  if (it == entries_.end()) return std::nullopt;
  return it->second;
}

void CheckpointStore::set(const std::string& key, const Checkpoint& cp) {
  std::lock_guard lock(mu_);
  auto& e = entries_[key];
  if (e.offset == cp.offset && e.path == cp.path && e.cursor == cp.cursor && e.updated != 0) return;
  e = cp;
  if (e.updated == 0) e.updated = static_cast<int64_t>(std::time(nullptr));
  dirty_ = true;
}

void CheckpointStore::erase(const std::string& key) {
  std::lock_guard lock(mu_);
  if (entries_.erase(key)) dirty_ = true;
}

std::map<std::string, Checkpoint> CheckpointStore::all() const {
  std::lock_guard lock(mu_);
  return entries_;
}

bool DataDirLock::lock(const std::string& dir, std::string& error) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) {
    error = "cannot create data_dir " + dir + ": " + ec.message();
    return false;
  }
  std::string path = dir + "/lock";
  fd_.reset(::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0640));
  if (!fd_) {
    error = "cannot open " + path + ": " + std::strerror(errno);
    return false;
  }
  if (::flock(fd_.get(), LOCK_EX | LOCK_NB) != 0) {
    error = "data_dir " + dir + " is in use by another auditrelay process (" + path +
            " is locked); give each agent its own data_dir";
    fd_.reset();
    return false;
  }
  // The pid is for people looking at the directory; the lock does not depend on it.
  std::string pid = std::to_string(::getpid()) + "\n";
  if (::ftruncate(fd_.get(), 0) == 0) write_all(fd_.get(), pid);
  return true;
}

}  // namespace auditrelay
