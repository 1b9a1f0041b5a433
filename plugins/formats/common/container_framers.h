#pragma once
// Container runtime wrappers (FORMATS.md §13): Kubernetes CRI lines and Docker json-file records.
// They unwrap the record, join partial lines per stream, and pass the content to a PlainFramer
// per stream, so one human multi-line block may span several wrapper records.
#include <memory>
#include <string>

#include "agent/event/format.h"
#include "plugins/formats/common/plain_framer.h"

namespace auditrelay::formats {

// Splits "<time> <stream> <tags> <content>"; false when the line is not CRI-shaped.
bool parse_cri_line(std::string_view line, Timestamp& time, Stream& stream, bool& partial,
                    std::string_view& content);

class StreamJoiner {
 public:
  // Adds a piece of content for a stream; complete = the last piece of a line.
  void piece(std::string_view content, bool complete, uint64_t offset, const LineMeta& meta, RecordSink& sink);
  void flush(RecordSink& sink);
  uint64_t held_from(uint64_t next) const;

 private:
  struct PerStream {
    std::string partial;
    bool has_partial = false;
    uint64_t partial_offset = 0;
    LineMeta partial_meta;
    PlainFramer framer{true, true};
  };
  PerStream& of(Stream s) { return s == Stream::Stderr ? err_ : out_; }
  PerStream out_, err_;
};

// What both wrappers share: partial lines joined per stream, and a fallback for lines that are
// not in the wrapper's shape (nullptr: they become raw records).
class WrapperFramer : public Framer {
 public:
  using Framer::line;
  explicit WrapperFramer(std::unique_ptr<Framer> fallback) : fallback_(std::move(fallback)) {}
  void flush(RecordSink& sink) override;
  uint64_t held_from(uint64_t next) const override;

 protected:
  void not_wrapped(std::string_view line, uint64_t offset, RecordSink& sink);
  StreamJoiner joiner_;

 private:
  std::unique_ptr<Framer> fallback_;
};

class CriFramer : public WrapperFramer {
 public:
  using Framer::line;
  explicit CriFramer(std::unique_ptr<Framer> fallback = nullptr) : WrapperFramer(std::move(fallback)) {}
  void line(std::string_view line, uint64_t offset, RecordSink& sink, const LineMeta& meta) override;
};

class DockerFramer : public WrapperFramer {
 public:
  using Framer::line;
  explicit DockerFramer(std::unique_ptr<Framer> fallback = nullptr) : WrapperFramer(std::move(fallback)) {}
  void line(std::string_view line, uint64_t offset, RecordSink& sink, const LineMeta& meta) override;

 private:
  simdjson::dom::parser parser_;
  std::string padded_;
};

}  // namespace auditrelay::formats
