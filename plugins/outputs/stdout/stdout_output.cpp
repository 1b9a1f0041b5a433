// Output `stdout`: NDJSON of audit-schema events on standard output.
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <memory>
#include <string>

#include "core/plugin/output.h"
#include "core/registry/registry.h"
#include "plugins/outputs/common/fd_writer.h"

namespace auditrelay {
namespace {

class StdoutOutput final : public Output {
 public:
  SendResult send(const OutBatch& batch) override {
    buf_.clear();
    for (const auto& e : batch.events) {
      buf_.append(e.json);
      buf_.push_back('\n');
    }
    if (!write_all(STDOUT_FILENO, buf_)) return SendResult::retry(std::string("stdout: ") + std::strerror(errno));
    return SendResult::delivered();
  }

 private:
  std::string buf_;
};

const bool kRegistered = Registry::instance().add(PluginDescriptor{
    .kind = PluginKind::Output,
    .name = "stdout",
    .summary = "Writes events as NDJSON to standard output",
    .options = {},
    .make_output = [](const PluginContext&, const Options&) -> std::unique_ptr<Output> {
      return std::make_unique<StdoutOutput>();
    },
});

}  // namespace
}  // namespace auditrelay
