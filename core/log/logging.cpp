#include "core/log/logging.h"

#include <spdlog/sinks/base_sink.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <cstdlib>
#include <mutex>

#include "core/common/json_writer.h"
#include "core/common/time.h"

namespace auditrelay {
namespace {

class JsonStderrSink final : public spdlog::sinks::base_sink<std::mutex> {
 protected:
  void sink_it_(const spdlog::details::log_msg& msg) override {
    std::string line;
    JsonWriter w(line);
    auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(msg.time.time_since_epoch()).count();
    Timestamp t{ns / 1'000'000'000, static_cast<uint32_t>(ns % 1'000'000'000), 6};
    t.nanos = t.nanos / 1000 * 1000;
    w.begin_object();
    w.field("time", format_rfc3339(t));
    auto lvl = spdlog::level::to_string_view(msg.level);
    w.field("level", std::string_view(lvl.data(), lvl.size()));
    w.field("msg", std::string_view(msg.payload.data(), msg.payload.size()));
    w.end_object();
    line.push_back('\n');
    fwrite(line.data(), 1, line.size(), stderr);
  }
  void flush_() override { fflush(stderr); }
};

bool in_container() {
  return std::getenv("KUBERNETES_SERVICE_HOST") != nullptr || access("/.dockerenv", F_OK) == 0 ||
         access("/run/.containerenv", F_OK) == 0;
}

}  // namespace

bool setup_logging(const std::string& format, const std::string& level, std::string& error) {
  std::string fmt = format;
  if (fmt.empty()) fmt = in_container() ? "json" : "text";
  std::shared_ptr<spdlog::logger> logger;
  if (fmt == "json") {
    logger = std::make_shared<spdlog::logger>("auditrelay", std::make_shared<JsonStderrSink>());
  } else if (fmt == "text") {
    logger = spdlog::stderr_color_mt("auditrelay_text");
    logger->set_pattern("%Y-%m-%dT%H:%M:%S.%e %^%-5l%$ %v");
  } else {
    error = "--log-format must be json or text, got '" + format + "'";
    return false;
  }
  auto lvl = spdlog::level::from_str(level.empty() ? "info" : level);
  if (lvl == spdlog::level::off && level != "off") {
    error = "--log-level must be trace, debug, info, warn, error, critical or off, got '" + level + "'";
    return false;
  }
  logger->set_level(lvl);
  logger->flush_on(spdlog::level::warn);
  spdlog::set_default_logger(logger);
  return true;
}

}  // namespace auditrelay
