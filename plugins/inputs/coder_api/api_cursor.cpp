#include "plugins/inputs/coder_api/api_cursor.h"

#include <simdjson.h>
#include <spdlog/spdlog.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "core/common/atomic_file.h"
#include "core/common/json_writer.h"

namespace auditrelay {

void ApiCursorFile::load(std::map<std::string, StreamCursor>& streams) const {
  std::ifstream in(path_, std::ios::binary);
  if (!in) return;
  std::stringstream ss;
  ss << in.rdbuf();
  std::string text = ss.str();
  simdjson::dom::parser parser;
  simdjson::dom::element root;
  simdjson::dom::object all;
  if (parser.parse(text).get(root) || root["streams"].get_object().get(all)) {
    spdlog::error("coder_api cursor {} is corrupt; ignoring it (the streams start over from backfill_from)", path_);
    return;
  }
  for (auto s : all) {
    StreamCursor& c = streams[std::string(s.key)];
    std::string_view t;
    if (!s.value["watermark"].get_string().get(t)) parse_rfc3339(t, c.watermark);
    simdjson::dom::array ids;
    if (!s.value["recent_ids"].get_array().get(ids))
      for (auto id : ids) {
        std::string_view v;
        if (!id.get_string().get(v)) c.recent.add(std::string(v));
      }
    simdjson::dom::object open;
    if (!s.value["open"].get_object().get(open))
      for (auto o : open) {
        Timestamp ts;
        std::string_view v;
        if (!o.value.get_string().get(v) && parse_rfc3339(v, ts)) c.open[std::string(o.key)] = ts;
      }
  }
}

bool ApiCursorFile::save(const std::map<std::string, StreamCursor>& streams) const {
  std::string body;
  JsonWriter w(body);
  w.begin_object();
  w.key("version");
  w.integer(1);
  w.key("streams");
  w.begin_object();
  for (const auto& [name, c] : streams) {
    w.key(name);
    w.begin_object();
    if (c.watermark.valid()) w.field("watermark", format_rfc3339(c.watermark));
    w.key("recent_ids");
    w.begin_array();
    for (const auto& id : c.recent.in_order()) w.string(id);
    w.end_array();
    w.key("open");
    w.begin_object();
    for (const auto& [id, ts] : c.open) {
      w.key(id);
      w.string(format_rfc3339(ts));
    }
    w.end_object();
    w.end_object();
  }
  w.end_object();
  w.end_object();
  body += '\n';
  std::error_code ec;
  std::filesystem::create_directories(std::filesystem::path(path_).parent_path(), ec);
  std::string error;
  if (!write_file_atomically(path_, body, error)) {
    spdlog::error("cannot save the coder_api cursor: {}", error);
    return false;
  }
  return true;
}

}  // namespace auditrelay
