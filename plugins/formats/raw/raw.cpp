// Format `raw`: every line is a log event with the line as its message (severity info).
#include <memory>

#include "core/event/format.h"
#include "core/registry/registry.h"
#include "plugins/formats/common/line_formats.h"

namespace auditrelay::formats {
namespace {

class RawFormat final : public Format {
 public:
  std::string_view name() const override { return "raw"; }
  std::unique_ptr<Framer> make_framer() const override {
    return std::make_unique<PlainFramer>(PlainFormats{.text = this});
  }
  bool parse(std::string_view text, ParseScratch&, ParsedEntry& out) const override {
    while (!text.empty() && (text.back() == '\r' || text.back() == '\n')) text.remove_suffix(1);
    out.message = text;
    out.severity = Severity::Info;
    out.format = "raw";
    out.raw = true;
    return true;
  }
};

const bool kRegistered = Registry::instance().add(PluginDescriptor{
    .kind = PluginKind::Format,
    .name = "raw",
    .summary = "Any text: one log event per line, the line as its message",
    .format = &raw_format(),
    .entry_formats = {"raw"},
    // Records no other format parses become raw events.
    .fallback = true,
});

}  // namespace

const Format& raw_format() {
  static const RawFormat format;
  return format;
}

}  // namespace auditrelay::formats
