#include "plugins/inputs/file/file_input_options.h"

#include <algorithm>

#include "core/registry/registry.h"

namespace auditrelay::file_input {

std::vector<OptionSpec> file_input_option_specs() {
  return {
      {"paths", OptType::StringList, "", true, "glob patterns of files to read"},
      {"exclude", OptType::StringList, "[\"*.gz\", \"*.zip\", \"*.bz2\", \"*.xz\", \"*.zst\"]",
       false,
       "glob patterns (path or file name) of files to skip; compressed rotations by default"},
      {"format", OptType::String, "auto", false,
       "line format: auto, slog_json, slog_human, cri, docker or raw"},
      {"read_from",
       OptType::Enum,
       "beginning",
       false,
       "where to start files present at the very first start (no saved positions yet); files "
       "found later always start at their beginning",
       {"beginning", "end"}},
      {"max_line_size", OptType::Size, "1MiB", false,
       "longer lines are cut to this size; the rest is discarded and counted"},
      {"read_buffer", OptType::Size, "256KiB", false, "bytes read per call and per batch"},
      {"fingerprint_size", OptType::Size, "1KiB", false,
       "bytes at the start of a file that identify it (fewer, whole lines, while the file is "
       "shorter)"},
      {"max_open_files", OptType::Int, "1024", false,
       "open descriptors at most; the least recently active files are closed first and re-opened "
       "when they change"},
      {"include_namespaces", OptType::StringList, "", false,
       "container logs: only these Kubernetes namespaces (glob patterns)"},
      {"exclude_namespaces", OptType::StringList, "", false,
       "container logs: skip these Kubernetes namespaces (glob patterns)"},
      {"include_pods", OptType::StringList, "", false,
       "container logs: only these pods (glob patterns)"},
      {"exclude_pods", OptType::StringList, "", false,
       "container logs: skip these pods (glob patterns)"},
      {"unready_when_unreadable", OptType::Bool, "true", false,
       "/readyz fails while a file matching paths cannot be opened (permissions)"},
      {"inotify", OptType::Bool, "true", false,
       "use inotify for change detection (falls back to polling when unavailable)"},
      {"glob_interval", OptType::Duration, "1s", false,
       "how often the patterns are expanded for new files (and every file checked when inotify "
       "is on)"},
      {"poll_interval", OptType::Duration, "250ms", false,
       "how often files are checked for new data when inotify is off or unavailable"},
      {"read_coalesce", OptType::Duration, "50ms", false,
       "after a file changes, wait this long for more writes before reading it: a service "
       "appending line by line is read in one call per interval, not one per append (reading "
       "goes on without pause while data is waiting); adds up to this much latency; 0 reads at "
       "once"},
      {"multiline_flush", OptType::Duration, "1s", false,
       "a held multi-line entry is emitted after this long without new data"},
      {"rotate_wait", OptType::Duration, "5s", false,
       "how long a rotated (renamed or deleted) file is still read after its last data before it "
       "is closed"},
  };
}

FileInputOptions file_input_options_from(const Options& o) {
  FileInputOptions opts;
  opts.paths = o.list("paths");
  opts.exclude = o.list("exclude");
  opts.include_namespaces = o.list("include_namespaces");
  opts.exclude_namespaces = o.list("exclude_namespaces");
  opts.include_pods = o.list("include_pods");
  opts.exclude_pods = o.list("exclude_pods");
  opts.from_end = o.str("read_from") == "end";
  opts.inotify = o.boolean("inotify");
  opts.unready_when_unreadable = o.boolean("unready_when_unreadable");
  opts.format = Registry::instance().format(o.str("format"));
  opts.max_line = o.size("max_line_size");
  // A read smaller than a page costs more calls than it saves memory.
  opts.read_size = std::max<size_t>(4096, o.size("read_buffer"));
  opts.fingerprint_bytes = o.size("fingerprint_size");
  opts.max_open_files = static_cast<size_t>(o.integer("max_open_files"));
  opts.glob_interval = o.duration("glob_interval");
  opts.poll_interval = o.duration("poll_interval");
  opts.read_coalesce = o.duration("read_coalesce");
  opts.multiline_flush = o.duration("multiline_flush");
  opts.rotate_wait = o.duration("rotate_wait");
  return opts;
}

void validate_file_input_options(const Options& o, const std::string& path, Diagnostics& diags) {
  std::string f = o.str("format");
  if (!Registry::instance().format(f)) {
    std::string all;
    for (const auto& n : Registry::instance().names(PluginKind::Format))
      all += (all.empty() ? "" : ", ") + n;
    diags.error(o.line("format"), path + ".format",
                "unknown format '" + f + "'; available: " + all);
  }
  if (o.size("max_line_size") < 64)
    diags.error(o.line("max_line_size"), path + ".max_line_size", "must be at least 64 bytes");
  auto fp = o.size("fingerprint_size");
  if (fp < 16 || fp > 65536)
    diags.error(o.line("fingerprint_size"), path + ".fingerprint_size",
                "must be between 16B and 64KiB");
  if (o.integer("max_open_files") < 1)
    diags.error(o.line("max_open_files"), path + ".max_open_files", "must be at least 1");
}

}  // namespace auditrelay::file_input
