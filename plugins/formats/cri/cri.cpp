// Format `cri`: Kubernetes CRI container logs (containerd, CRI-O) around Coder's JSON or human
// lines; partial (P) records are joined per stream through the next full (F) record.
#include <memory>

#include "core/event/format.h"
#include "core/registry/registry.h"
#include "plugins/formats/common/container_framers.h"
#include "plugins/formats/common/line_formats.h"

namespace auditrelay::formats {
namespace {

class CriFormat final : public Format {
 public:
  std::string_view name() const override { return "cri"; }
  std::unique_ptr<Framer> make_framer() const override {
    return std::make_unique<CriFramer>(all_line_formats());
  }
  // Records carry the format of their unwrapped content; this wrapper parses nothing itself.
  bool parse(std::string_view, ParseScratch&, ParsedEntry&) const override { return false; }
};

const CriFormat kFormat;

const bool kRegistered = Registry::instance().add(PluginDescriptor{
    .kind = PluginKind::Format,
    .name = "cri",
    .summary =
        "Kubernetes CRI container log lines (<time> <stream> <F|P> <content>) around Coder logs",
    .format = &kFormat,
});

}  // namespace
}  // namespace auditrelay::formats
