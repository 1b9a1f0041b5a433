// Input `file`: tails files matching glob patterns (Coder service logs, container logs).
//
// The parts, one job each:
//   file_input_options  the option table (the one home of the defaults) and the typed options
//   discovery           patterns, exclusions, inotify, new / renamed / deleted files
//   identifier          who a new file is (the decision itself: file_identity, a pure function)
//   tailer              reading, truncation and copytruncate, batches and their acknowledgements
//   descriptor_limit    max_open_files
// This file wires them into one loop and registers the plugin.
#include <algorithm>
#include <chrono>
#include <memory>
#include <set>
#include <thread>

#include "core/plugin/input.h"
#include "core/registry/registry.h"
#include "plugins/inputs/file/descriptor_limit.h"
#include "plugins/inputs/file/discovery.h"
#include "plugins/inputs/file/file_input_metrics.h"
#include "plugins/inputs/file/file_input_options.h"
#include "plugins/inputs/file/identifier.h"
#include "plugins/inputs/file/tailer.h"
#include "plugins/inputs/file/tracked_file.h"

namespace auditrelay::file_input {
namespace {

// With inotify on every directory, the full pass runs this often, as a safety net.
constexpr auto kSafetyInterval = std::chrono::seconds(10);

class FileInput final : public Input {
 public:
  FileInput(const PluginContext& ctx, FileInputOptions opts)
      : name_(ctx.name), opts_(std::move(opts)), health_(ctx.health) {}

  void run(InputHost& host) override {
    FileInputMetrics metrics(host.metrics(), name_);
    TrackedFiles files;
    DescriptorLimit limit(files, opts_.max_open_files);
    Discovery discovery({name_, opts_, host.host_name(), health_, metrics.rotations}, files, limit);
    Identifier identifier(name_, opts_, files, host.checkpoints());
    Tailer tailer(name_, opts_, host, {files, limit, discovery, identifier, metrics});
    discovery.start_watcher();
    // read_from: end applies only to the very first start; after that nothing may be skipped.
    discovery.set_first_start(!identifier.load_saved_positions());

    discovery.scan();
    discovery.find_rotated_while_stopped();
    discovery.finish_initial_scan();
    Loop loop{host, files, limit, discovery, tailer, metrics};
    loop.run(opts_);
  }

 private:
  struct Loop {
    InputHost& host;
    TrackedFiles& files;
    DescriptorLimit& limit;
    Discovery& discovery;
    Tailer& tailer;
    FileInputMetrics& metrics;

    void run(const FileInputOptions& opts);
    void wait(Clock::time_point until, std::set<TrackedFile*>& dirty);
    void coalesce(std::chrono::milliseconds window);
  };

  std::string name_;
  FileInputOptions opts_;
  HealthBoard* health_;
};

void FileInput::Loop::run(const FileInputOptions& opts) {
  auto next_full = Clock::now();
  auto next_glob = Clock::now() + opts.glob_interval;
  std::set<TrackedFile*> dirty;
  while (!host.stopping().load()) {
    bool full = Clock::now() >= next_full;
    if (discovery.scan_needed() || full || Clock::now() >= next_glob) {
      // Known paths are re-checked only when names changed or in a full pass; in between, the
      // patterns are expanded for new files only (what keeps 1,000 idle files cheap).
      discovery.scan(discovery.scan_needed() || full || !discovery.events_cover_all());
      discovery.scan_done();
      next_glob = Clock::now() + opts.glob_interval;
    }
    if (full) {
      tailer.check_all();
      // With inotify on every directory the full pass is only a safety net; otherwise it is
      // how changes are found.
      next_full = Clock::now() + (discovery.events_cover_all() ? kSafetyInterval
                                  : discovery.watching()       ? opts.glob_interval
                                                               : opts.poll_interval);
    }
    bool progressed = tailer.read_pass(full, dirty);
    tailer.close_finished();
    limit.enforce();
    metrics.files_watched.store(static_cast<int64_t>(files.by_inode.size()));
    tailer.update_open_and_lag();
    if (!progressed) {
      wait(std::min(next_full, next_glob), dirty);
      if (!dirty.empty()) coalesce(opts.read_coalesce);
    }
  }
}

// A file changed after every file was read to its end: let more appends land before reading.
// A service logging line by line then costs one wake-up and one read per window instead of one
// per line (trickle CPU, issue 20); while data keeps waiting, read_pass never gets here.
void FileInput::Loop::coalesce(std::chrono::milliseconds window) {
  auto until = Clock::now() + window;
  while (!host.stopping().load() && Clock::now() < until)
    std::this_thread::sleep_for(std::min<Clock::duration>(until - Clock::now(),
                                                          std::chrono::milliseconds(250)));
}

void FileInput::Loop::wait(Clock::time_point until, std::set<TrackedFile*>& dirty) {
  auto wait = std::chrono::duration_cast<std::chrono::milliseconds>(until - Clock::now());
  wait = std::clamp(wait, std::chrono::milliseconds(1),
                    std::chrono::milliseconds(250));  // stay responsive to stop
  if (discovery.watching())
    discovery.wait_for_changes(wait, dirty);
  else
    std::this_thread::sleep_for(wait);
}

const bool kRegistered = Registry::instance().add(PluginDescriptor{
    .kind = PluginKind::Input,
    .name = "file",
    .summary = "Tails files matching glob patterns (Coder service logs, container logs)",
    .options = file_input_option_specs(),
    .make_input = [](const PluginContext& ctx, const Options& o) -> std::unique_ptr<Input> {
      return std::make_unique<FileInput>(ctx, file_input_options_from(o));
    },
    .validate = [](const Options& o, const std::string& path, Diagnostics& diags,
                   Schema) { validate_file_input_options(o, path, diags); },
    .metrics =
        {
            {"auditrelay_lines_read_total", MetricType::Counter, "input",
             "records read: a human entry with its block, or a container line joined from its "
             "partials, counts once"},
            {"auditrelay_bytes_read_total", MetricType::Counter, "input", "bytes read"},
            {"auditrelay_file_reads_total", MetricType::Counter, "input",
             "reads that returned data; lines_read_total over this is how many appends "
             "`read_coalesce` gathered per read"},
            {"auditrelay_lines_truncated_total", MetricType::Counter, "input",
             "lines cut at `max_line_size` (the rest discarded; also logged, at most once a "
             "minute)"},
            {"auditrelay_files_watched", MetricType::Gauge, "input", "files tracked"},
            {"auditrelay_files_open", MetricType::Gauge, "input",
             "descriptors open (at most `max_open_files`)"},
            {"auditrelay_file_rotations_total", MetricType::Counter, "input",
             "renames, deletions and truncations seen"},
            {"auditrelay_read_lag_bytes", MetricType::Gauge, "input",
             "bytes written to the files but not read yet (as of each file's last look)"},
        },
});

}  // namespace
}  // namespace auditrelay::file_input
