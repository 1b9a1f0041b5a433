#include "plugins/formats/common/container_framers.h"

#include <algorithm>

namespace auditrelay::formats {

bool parse_cri_line(std::string_view line, Timestamp& time, Stream& stream, bool& partial,
                    std::string_view& content) {
  size_t sp1 = line.find(' ');
  if (sp1 == std::string_view::npos || sp1 < 20) return false;
  if (!parse_rfc3339(line.substr(0, sp1), time)) return false;
  std::string_view rest = line.substr(sp1 + 1);
  if (rest.starts_with("stdout "))
    stream = Stream::Stdout;
  else if (rest.starts_with("stderr "))
    stream = Stream::Stderr;
  else
    return false;
  rest.remove_prefix(7);
  size_t sp = rest.find(' ');
  std::string_view tags = rest.substr(0, sp);
  if (tags.empty() || (tags[0] != 'F' && tags[0] != 'P') || (tags.size() > 1 && tags[1] != ':'))
    return false;
  partial = tags[0] == 'P';
  content = sp == std::string_view::npos ? std::string_view{} : rest.substr(sp + 1);
  return true;
}

void StreamJoiner::piece(std::string_view content, bool complete, uint64_t offset,
                         const LineMeta& meta, RecordSink& sink) {
  in_order_.out = &sink;
  PerStream& s = of(meta.stream);
  if (!complete) {
    if (!s.has_partial) {
      s.has_partial = true;
      s.partial_offset = offset;
      s.partial_meta = meta;
      s.partial.clear();
    }
    s.partial.append(content);
  } else if (s.has_partial) {
    s.partial.append(content);
    s.has_partial = false;
    s.partial.reserve(s.partial.size() + simdjson::SIMDJSON_PADDING);
    s.framer.line(s.partial, s.partial_offset, in_order_, s.partial_meta);
  } else {
    s.framer.line(content, offset, in_order_, meta);
  }
  release();
  if (waiting_.size() > kMaxWaitingRecords || waiting_bytes_ > kMaxWaitingBytes) {
    flush_streams();
    release();
  }
}

void StreamJoiner::unwrapped(const FramedRecord& record, RecordSink& sink) {
  in_order_.out = &sink;
  arrived(record);
  release();
}

void StreamJoiner::flush(RecordSink& sink) {
  in_order_.out = &sink;
  flush_streams();
  release();
}

void StreamJoiner::flush_streams() {
  for (PerStream* s : {&out_, &err_}) {
    if (s->has_partial) {
      // A partial line whose end never came (rotation, shutdown): emit what there is.
      s->has_partial = false;
      s->partial.reserve(s->partial.size() + simdjson::SIMDJSON_PADDING);
      s->framer.line(s->partial, s->partial_offset, in_order_, s->partial_meta);
    }
    s->framer.flush(in_order_);
  }
}

uint64_t StreamJoiner::held_by(const PerStream& s) {
  uint64_t v = s.framer.held_from(kNothingHeld);
  return s.has_partial ? std::min(v, s.partial_offset) : v;
}

void StreamJoiner::arrived(const FramedRecord& r) {
  // What the other streams hold (both, for a line of no stream).
  uint64_t other = r.stream == Stream::Stdout   ? held_by(err_)
                   : r.stream == Stream::Stderr ? held_by(out_)
                                                : std::min(held_by(out_), held_by(err_));
  if (waiting_.empty() && r.offset < other) {
    in_order_.out->emit(r);  // the common case: nothing earlier is pending, no copy
    return;
  }
  Waiting w{std::string(), r};
  w.text.reserve(r.text.size() + simdjson::SIMDJSON_PADDING);
  w.text.assign(r.text);
  waiting_bytes_ += w.text.size();
  auto at = std::upper_bound(waiting_.begin(), waiting_.end(), r.offset,
                             [](uint64_t off, const Waiting& x) { return off < x.record.offset; });
  waiting_.insert(at, std::move(w));
}

void StreamJoiner::release() {
  uint64_t held = std::min(held_by(out_), held_by(err_));
  while (!waiting_.empty() && waiting_.front().record.offset < held) {
    Waiting& w = waiting_.front();
    w.record.text = w.text;
    in_order_.out->emit(w.record);
    waiting_bytes_ -= w.text.size();
    waiting_.pop_front();
  }
}

uint64_t StreamJoiner::held_from(uint64_t next) const {
  uint64_t v = std::min({next, held_by(out_), held_by(err_)});
  return waiting_.empty() ? v : std::min(v, waiting_.front().record.offset);
}

void WrapperFramer::not_wrapped(std::string_view line, uint64_t offset, RecordSink& sink) {
  joiner_.unwrapped(FramedRecord{line, offset, unwrapped_, {}, Stream::None}, sink);
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
            !parser_.parse(reinterpret_cast<const uint8_t*>(padded_.data()), padded_.size(), false)
                 .get(root) &&
            !root["log"].get_string().get(log);
  if (!ok) {
    not_wrapped(line, offset, sink);
    return;
  }
  LineMeta meta;
  if (!root["stream"].get_string().get(stream))
    meta.stream = stream == "stderr" ? Stream::Stderr : Stream::Stdout;
  else
    meta.stream = Stream::Stdout;
  if (!root["time"].get_string().get(time)) parse_rfc3339(time, meta.wrapper_time);
  bool complete = log.ends_with("\n");
  if (complete) log.remove_suffix(1);
  joiner_.piece(log, complete, offset, meta, sink);
}

}  // namespace auditrelay::formats
