// Format `auto`: decides per line, so a file that mixes formats still works: CRI and Docker
// wrappers are unwrapped, then slog JSON, slog human or raw text is recognised.
#include <algorithm>
#include <memory>

#include "core/event/format.h"
#include "core/registry/registry.h"
#include "plugins/formats/common/container_framers.h"
#include "plugins/formats/common/line_formats.h"

namespace auditrelay::formats {
namespace {

class AutoFramer final : public Framer {
 public:
  using Framer::line;
  void line(std::string_view line, uint64_t offset, RecordSink& sink,
            const LineMeta& meta) override {
    Framer* target = &plain_;
    if (line.starts_with("{\"log\":")) {
      target = &docker_;
    } else if (line.size() > 30 && line[4] == '-' && line[10] == 'T') {
      Timestamp t;
      Stream s;
      bool partial;
      std::string_view content;
      if (parse_cri_line(line, t, s, partial, content)) target = &cri_;
    }
    // Keep order when the shape changes: emit what the previous framer held first.
    if (last_ && last_ != target) last_->flush(sink);
    last_ = target;
    target->line(line, offset, sink, meta);
  }
  void flush(RecordSink& sink) override {
    plain_.flush(sink);
    cri_.flush(sink);
    docker_.flush(sink);
  }
  uint64_t held_from(uint64_t next) const override {
    return std::min({plain_.held_from(next), cri_.held_from(next), docker_.held_from(next)});
  }

 private:
  PlainFramer plain_{all_line_formats()};
  CriFramer cri_{all_line_formats()};
  DockerFramer docker_{all_line_formats()};
  Framer* last_ = nullptr;
};

class AutoFormat final : public Format {
 public:
  std::string_view name() const override { return "auto"; }
  std::unique_ptr<Framer> make_framer() const override { return std::make_unique<AutoFramer>(); }
  bool parse(std::string_view, ParseScratch&, ParsedEntry&) const override { return false; }
};

const AutoFormat kFormat;

const bool kRegistered = Registry::instance().add(PluginDescriptor{
    .kind = PluginKind::Format,
    .name = "auto",
    .summary = "Detects the format of every line: CRI, Docker, slog JSON, slog human or raw",
    .format = &kFormat,
});

}  // namespace
}  // namespace auditrelay::formats
