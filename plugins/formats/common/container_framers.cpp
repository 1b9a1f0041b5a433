#include "plugins/formats/common/container_framers.h"

#include <algorithm>

#include "agent/registry/registry.h"

namespace auditrelay::formats {

bool parse_cri_line(std::string_view line, Timestamp& time, Stream& stream, bool& partial,
                    std::string_view& content) {
  size_t sp1 = line.find(' ');
  if (sp1 == std::string_view::npos || sp1 < 20) return false;
  if (!parse_rfc3339(line.substr(0, sp1), time)) return false;
  std::string_view rest = line.substr(sp1 + 1);
  if (rest.starts_with("stdout ")) stream = Stream::Stdout;
  else if (rest.starts_with("stderr ")) stream = Stream::Stderr;
  else return false;
  rest.remove_prefix(7);
  size_t sp = rest.find(' ');
  std::string_view tags = rest.substr(0, sp);
  if (tags.empty() || (tags[0] != 'F' && tags[0] != 'P') || (tags.size() > 1 && tags[1] != ':')) return false;
  partial = tags[0] == 'P';
  content = sp == std::string_view::npos ? std::string_view{} : rest.substr(sp + 1);
  return true;
}

void StreamJoiner::piece(std::string_view content, bool complete, uint64_t offset, const LineMeta& meta,
                         RecordSink& sink) {
  PerStream& s = of(meta.stream);
  if (!complete) {
    if (!s.has_partial) {
      s.has_partial = true;
      s.partial_offset = offset;
      s.partial_meta = meta;
      s.partial.clear();
    }
    s.partial.append(content);
    return;
  }
  if (s.has_partial) {
    s.partial.append(content);
    s.has_partial = false;
    s.partial.reserve(s.partial.size() + simdjson::SIMDJSON_PADDING);
    s.framer.line(s.partial, s.partial_offset, sink, s.partial_meta);
    return;
  }
  s.framer.line(content, offset, sink, meta);
}

void StreamJoiner::flush(RecordSink& sink) {
  for (PerStream* s : {&out_, &err_}) {
    if (s->has_partial) {
      // A partial line whose end never came (rotation, shutdown): emit what there is.
      s->has_partial = false;
      s->partial.reserve(s->partial.size() + simdjson::SIMDJSON_PADDING);
      s->framer.line(s->partial, s->partial_offset, sink, s->partial_meta);
    }
    s->framer.flush(sink);
  }
}

uint64_t StreamJoiner::held_from(uint64_t next) const {
  uint64_t v = next;
  for (const PerStream* s : {&out_, &err_}) {
    v = std::min(v, s->framer.held_from(next));
    if (s->has_partial) v = std::min(v, s->partial_offset);
  }
  return v;
}

void WrapperFramer::not_wrapped(std::string_view line, uint64_t offset, RecordSink& sink) {
  if (fallback_) fallback_->line(line, offset, sink, LineMeta{});
  else sink.emit(FramedRecord{line, offset, Registry::instance().format("raw"), {}, Stream::None});
}

void WrapperFramer::flush(RecordSink& sink) {
  joiner_.flush(sink);
  if (fallback_) fallback_->flush(sink);
}

uint64_t WrapperFramer::held_from(uint64_t next) const {
  uint64_t v = joiner_.held_from(next);
  return fallback_ ? std::min(v, fallback_->held_from(next)) : v;
}

void CriFramer::line(std::string_view line, uint64_t offset, RecordSink& sink, const LineMeta&) {
  LineMeta meta;
  bool partial = false;
  std::string_view content;
  if (!parse_cri_line(line, meta.wrapper_time, meta.stream, partial, content)) {
    not_wrapped(line, offset, sink);
    return;
  }
  joiner_.piece(content, !partial, offset, meta, sink);
}

void DockerFramer::line(std::string_view line, uint64_t offset, RecordSink& sink, const LineMeta&) {
  simdjson::dom::element root;
  std::string_view log, stream, time;
  // A padded copy: the line's own buffer promises no padding to this parser.
  padded_.assign(line);
  padded_.reserve(line.size() + simdjson::SIMDJSON_PADDING);
  bool ok = line.starts_with("{") &&
            !parser_.parse(reinterpret_cast<const uint8_t*>(padded_.data()), padded_.size(), false).get(root) &&
            !root["log"].get_string().get(log);
  if (!ok) {
    not_wrapped(line, offset, sink);
    return;
  }
  LineMeta meta;
  if (!root["stream"].get_string().get(stream)) meta.stream = stream == "stderr" ? Stream::Stderr : Stream::Stdout;
  else meta.stream = Stream::Stdout;
  if (!root["time"].get_string().get(time)) parse_rfc3339(time, meta.wrapper_time);
  bool complete = log.ends_with("\n");
  if (complete) log.remove_suffix(1);
  joiner_.piece(log, complete, offset, meta, sink);
}


}  // namespace auditrelay::formats
