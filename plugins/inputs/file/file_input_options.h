#pragma once
// The file input's options: the table it declares (the one home of every default) and the typed
// struct the input runs with, filled from the validated values.
#include <chrono>
#include <cstddef>
#include <string>
#include <vector>

#include "core/config/diagnostics.h"
#include "core/config/options.h"

namespace auditrelay {
class Format;
}

namespace auditrelay::file_input {

// No defaults here: every value comes from the validated Options, where the option table put the
// default of anything the config left out.
struct FileInputOptions {
  std::vector<std::string> paths, exclude;
  std::vector<std::string> include_namespaces, exclude_namespaces, include_pods, exclude_pods;
  bool from_end = false;
  bool inotify = false;
  bool unready_when_unreadable = false;
  const Format* format = nullptr;
  size_t max_line = 0;
  size_t read_size = 0;
  size_t fingerprint_bytes = 0;
  size_t max_open_files = 0;
  std::chrono::milliseconds glob_interval{}, poll_interval{}, read_coalesce{}, multiline_flush{},
      rotate_wait{};
};

// The options `file` declares: what validates the config, fills in defaults, prints --help and
// generates the reference docs.
std::vector<OptionSpec> file_input_option_specs();

// The struct from options validated against file_input_option_specs().
FileInputOptions file_input_options_from(const Options& o);

// Checks beyond the types: a known format and the sizes' bounds.
void validate_file_input_options(const Options& o, const std::string& path, Diagnostics& diags);

}  // namespace auditrelay::file_input
