// Format `docker`: Docker json-file records ({"log","stream","time"}) around Coder's lines;
// records without a trailing newline are joined with the next ones of the same stream.
#include <memory>

#include "core/event/format.h"
#include "core/registry/registry.h"
#include "plugins/formats/common/container_framers.h"
#include "plugins/formats/common/line_formats.h"

namespace auditrelay::formats {
namespace {

class DockerFormat final : public Format {
 public:
  std::string_view name() const override { return "docker"; }
  std::unique_ptr<Framer> make_framer() const override {
    return std::make_unique<DockerFramer>(all_line_formats());
  }
  bool parse(std::string_view, ParseScratch&, ParsedEntry&) const override { return false; }
};

const DockerFormat kFormat;

const bool kRegistered = Registry::instance().add(PluginDescriptor{
    .kind = PluginKind::Format,
    .name = "docker",
    .summary = "Docker json-file container log records around Coder logs",
    .format = &kFormat,
});

}  // namespace
}  // namespace auditrelay::formats
