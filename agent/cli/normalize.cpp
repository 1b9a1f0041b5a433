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
#include "agent/plugin_names.h"
#include "agent/runtime.h"
#include "coder/processor.h"
#include "core/event/line_reader.h"
#include "core/registry/registry.h"

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

// The file's descriptor, closed when reading it ends (stdin is left open).
class InputFile {
 public:
  explicit InputFile(const std::string& path)
      : fd_(path == "-" ? STDIN_FILENO : ::open(path.c_str(), O_RDONLY | O_CLOEXEC)) {}
  ~InputFile() {
    if (fd_ > STDIN_FILENO) ::close(fd_);
  }
  InputFile(const InputFile&) = delete;
  InputFile& operator=(const InputFile&) = delete;
  int fd() const { return fd_; }

 private:
  int fd_;
};

// One `normalize` run: every file read with one format, its events printed in one schema.
struct NormalizeRun {
  const NormalizeArgs& args;
  const Format& format;
  Schema schema;
  std::string host;  // source.host of every event
  coder::Processor& processor;
  std::string buf = std::string(256 * 1024 + simdjson::SIMDJSON_PADDING, '\0');

  // The exit status so far: 0, 1 when stdout fails, 2 when the file cannot be read.
  int file(const std::string& path);

 private:
  bool read_api(int fd, const std::string& path, LineReader& reader, BatchSink& sink);
  bool read_lines(int fd, LineReader& reader, BatchSink& sink, RecordBatch& batch,
                  EncodedBatch& enc);
};

int NormalizeRun::file(const std::string& path) {
  InputFile in(path);
  if (in.fd() < 0) {
    std::fprintf(stderr, "auditrelay normalize: cannot open %s: %s\n", path.c_str(),
                 std::strerror(errno));
    return 2;
  }
  auto source = std::make_shared<SourceInfo>();
  source->input = "normalize";
  source->type = path == "-" ? "stdin" : "file";
  source->path = path == "-" ? "" : path;
  source->identity = path;
  source->host = host;
  RecordBatch batch;
  batch.source = source;
  batch.observed = now_timestamp();
  EncodedBatch enc;
  BatchSink sink(&batch);
  LineReader reader(format.make_framer(), 1 << 20);
  if (args.format == "api") {
    if (!read_api(in.fd(), path, reader, sink)) return 2;
  } else if (!read_lines(in.fd(), reader, sink, batch, enc)) {
    return 1;
  }
  reader.finish(sink);
  return drain(processor, batch, enc, schema) ? 0 : 1;
}

// Whole responses are small (a page); rows one per line are read the same way.
bool NormalizeRun::read_api(int fd, const std::string& path, LineReader& reader, BatchSink& sink) {
  std::string text, rows;
  if (!read_all(fd, text)) {
    std::fprintf(stderr, "auditrelay normalize: cannot read %s: %s\n", path.c_str(),
                 std::strerror(errno));
    return false;
  }
  const std::string& lines = api_response_as_rows(text, rows) ? rows : text;
  reader.feed(lines, 0, sink);
  return true;
}

// Chunk by chunk, each chunk's events printed before the next is read; false when stdout fails.
bool NormalizeRun::read_lines(int fd, LineReader& reader, BatchSink& sink, RecordBatch& batch,
                              EncodedBatch& enc) {
  uint64_t offset = 0;
  while (true) {
    ssize_t n = ::read(fd, buf.data(), buf.size() - simdjson::SIMDJSON_PADDING);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return true;
    reader.feed(std::string_view(buf.data(), static_cast<size_t>(n)), offset, sink);
    offset += static_cast<uint64_t>(n);
    if (!drain(processor, batch, enc, schema)) return false;
  }
}

const Format* format_named(const std::string& name) {
  const Format* format = Registry::instance().format(name);
  if (!format)
    std::fprintf(stderr, "auditrelay normalize: unknown format '%s' (available: %s)\n",
                 name.c_str(), plugin_name_list(PluginKind::Format).c_str());
  return format;
}

// The config's redaction, drop and alert settings (none without --config), with one route that
// takes every event, in the schema asked for; null after printing the config's problems.
std::unique_ptr<coder::Transforms> transforms_for(const NormalizeArgs& args, Schema schema,
                                                  std::string& host) {
  std::unique_ptr<coder::Transforms> transforms;
  if (!args.config.empty()) {
    AgentConfig cfg;
    Diagnostics diags(args.config);
    if (!load_config_file(args.config, process_env(), cfg, diags)) {
      std::fputs(diags.to_string().c_str(), stderr);
      return nullptr;
    }
    transforms = build_transforms(cfg);
    host = cfg.host;
  } else {
    transforms = std::make_unique<coder::Transforms>();
    host = machine_host_name();
  }
  transforms->routes.clear();
  transforms->routes.emplace_back();
  transforms->schemas.assign(1, schema);
  return transforms;
}

}  // namespace

int normalize_command(const NormalizeArgs& args) {
  const Format* format = format_named(args.format);
  if (!format) return 2;
  Schema schema = Schema::AuditV1;
  if (!parse_schema(args.schema, schema)) {
    std::fprintf(stderr, "auditrelay normalize: unknown schema '%s' (available: %s)\n",
                 args.schema.c_str(), std::string(kSchemaChoices).c_str());
    return 2;
  }
  std::string host;
  std::unique_ptr<coder::Transforms> transforms = transforms_for(args, schema, host);
  if (!transforms) return 2;
  coder::Processor processor(*transforms, nullptr);
  NormalizeRun run{args, *format, schema, host, processor};
  std::vector<std::string> files = args.files;
  if (files.empty()) files.push_back("-");
  for (const auto& file : files)
    if (int status = run.file(file); status != 0) return status;
  std::fflush(stdout);
  return 0;
}

}  // namespace auditrelay
