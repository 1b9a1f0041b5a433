// `auditrelay normalize`: reads log lines from files or stdin and prints one audit-schema event
// per entry, in input order, without a pipeline (single thread, no checkpoints).
#include <fcntl.h>
#include <simdjson.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>

#include "agent/cli/commands.h"
#include "agent/config/agent_config.h"
#include "core/event/line_reader.h"
#include "core/registry/registry.h"
#include "agent/runtime.h"
#include "coder/processor.h"

namespace auditrelay {
namespace {

bool write_out(const std::string& s) {
  return std::fwrite(s.data(), 1, s.size(), stdout) == s.size();
}

bool drain(coder::Processor& p, RecordBatch& batch, EncodedBatch& enc, Schema schema) {
  if (batch.records.empty()) return true;
  enc.json.clear();
  enc.attrs.clear();
  enc.events.clear();
  p.process(batch, enc);
  std::string out;
  out.reserve(enc.json.size() + enc.events.size());
  for (const auto& e : enc.events) {
    out.append(enc.event_json(e, schema));
    out.push_back('\n');
  }
  batch.text.clear();
  batch.records.clear();
  return write_out(out);
}

// A whole Coder API response ({"audit_logs": [...]}, {"connection_logs": [...]}, pretty-printed
// or not) or a JSON array of rows, as the rows one per line, which the api format reads.
// Returns false when text is not one of those (then it is read line by line as it is).
bool api_response_as_rows(const std::string& text, std::string& rows) {
  simdjson::dom::parser parser;
  simdjson::dom::element root;
  if (parser.parse(text).get(root)) return false;
  simdjson::dom::array items;
  if (root.get_array().get(items) && root["audit_logs"].get_array().get(items) &&
      root["connection_logs"].get_array().get(items))
    return false;
  for (auto item : items) {
    rows += simdjson::minify(item);
    rows.push_back('\n');
  }
  return true;
}

bool read_all(int fd, std::string& out) {
  char chunk[65536];
  while (true) {
    ssize_t n = ::read(fd, chunk, sizeof chunk);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return false;
    if (n == 0) return true;
    out.append(chunk, static_cast<size_t>(n));
  }
}

}  // namespace

int normalize_command(const NormalizeArgs& args) {
  const Format* format = Registry::instance().format(args.format);
  if (!format) {
    std::string all;
    for (const auto& n : Registry::instance().names(PluginKind::Format))
      all += (all.empty() ? "" : ", ") + n;
    std::fprintf(stderr, "auditrelay normalize: unknown format '%s' (available: %s)\n",
                 args.format.c_str(), all.c_str());
    return 2;
  }
  Schema schema = Schema::AuditV1;
  if (!parse_schema(args.schema, schema)) {
    std::fprintf(stderr, "auditrelay normalize: unknown schema '%s' (available: %s)\n",
                 args.schema.c_str(), std::string(kSchemaChoices).c_str());
    return 2;
  }
  std::unique_ptr<coder::Transforms> transforms;
  AgentConfig cfg;
  if (!args.config.empty()) {
    Diagnostics diags(args.config);
    if (!load_config_file(args.config, process_env(), cfg, diags)) {
      std::fputs(diags.to_string().c_str(), stderr);
      return 2;
    }
    transforms = build_transforms(cfg);
    transforms->routes.clear();
  } else {
    transforms = std::make_unique<coder::Transforms>();
    char host[256] = {};
    gethostname(host, sizeof host - 1);
    cfg.host = host;
  }
  // One route that takes every event, in the schema asked for.
  transforms->routes.clear();
  transforms->routes.emplace_back();
  transforms->schemas.assign(1, schema);
  coder::Processor processor(*transforms, nullptr);
  std::vector<std::string> files = args.files;
  if (files.empty()) files.push_back("-");
  std::string buf(256 * 1024 + simdjson::SIMDJSON_PADDING, '\0');
  for (const auto& file : files) {
    int fd = file == "-" ? STDIN_FILENO : ::open(file.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
      std::fprintf(stderr, "auditrelay normalize: cannot open %s: %s\n", file.c_str(),
                   std::strerror(errno));
      return 2;
    }
    auto source = std::make_shared<SourceInfo>();
    source->input = "normalize";
    source->type = file == "-" ? "stdin" : "file";
    source->path = file == "-" ? "" : file;
    source->identity = file;
    source->host = cfg.host;
    RecordBatch batch;
    batch.source = source;
    batch.observed = now_timestamp();
    EncodedBatch enc;
    BatchSink sink(&batch);
    LineReader reader(format->make_framer(), 1 << 20);
    uint64_t offset = 0;
    if (args.format == "api") {
      // Whole responses are small (a page); rows one per line are read the same way.
      std::string text, rows;
      if (!read_all(fd, text)) {
        std::fprintf(stderr, "auditrelay normalize: cannot read %s: %s\n", file.c_str(),
                     std::strerror(errno));
        return 2;
      }
      const std::string& lines = api_response_as_rows(text, rows) ? rows : text;
      reader.feed(lines, 0, sink);
    } else {
      while (true) {
        ssize_t n = ::read(fd, buf.data(), buf.size() - simdjson::SIMDJSON_PADDING);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;
        reader.feed(std::string_view(buf.data(), static_cast<size_t>(n)), offset, sink);
        offset += static_cast<uint64_t>(n);
        if (!drain(processor, batch, enc, schema)) return 1;
      }
    }
    reader.finish(sink);
    if (!drain(processor, batch, enc, schema)) return 1;
    if (fd != STDIN_FILENO) ::close(fd);
  }
  std::fflush(stdout);
  return 0;
}

}  // namespace auditrelay
