// Format `raw`: every line is a log event with the line as its message (severity info).
#include <memory>

#include "core/event/format.h"
#include "core/registry/registry.h"
#include "plugins/formats/common/plain_framer.h"

namespace auditrelay::formats {
namespace {

class RawFormat final : public Format {
 public:
  std::string_view name() const override { return "raw"; }
  std::unique_ptr<Framer> make_framer() const override { return std::make_unique<PlainFramer>(false, false); }
  bool parse(std::string_view text, ParseScratch&, ParsedEntry& out) const override {
    while (!text.empty() && (text.back() == '\r' || text.back() == '\n')) text.remove_suffix(1);
    out.message = text;
    out.severity = Severity::Info;
    out.format = "raw";
    out.raw = true;
    return true;
  }
};

const RawFormat kFormat;

const bool kRegistered = Registry::instance().add(PluginDescriptor{
    .kind = PluginKind::Format,
    .name = "raw",
    .summary = "Any text: one log event per line, the line as its message",
    .format = &kFormat,
});

}  // namespace
}  // namespace auditrelay::formats
