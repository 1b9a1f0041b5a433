#pragma once
// Container runtime wrappers (FORMATS.md §13): Kubernetes CRI lines and Docker json-file records.
// They unwrap the record, join partial lines per stream, and pass the content to a PlainFramer
// per stream, so one human multi-line block may span several wrapper records.
#include <deque>
#include <limits>
#include <memory>
#include <string>

#include "core/event/format.h"
#include "plugins/formats/common/plain_framer.h"

namespace auditrelay::formats {

// Splits "<time> <stream> <tags> <content>"; false when the line is not CRI-shaped.
bool parse_cri_line(std::string_view line, Timestamp& time, Stream& stream, bool& partial,
                    std::string_view& content);

// Joins partial lines per stream and frames each stream's entries on their own, then passes the
// records on in the order of their first byte in the file, whatever their stream: a record waits
// while the other stream still holds an entry (a CRI P partial, a human entry that may go on in a
// block) that started before it.
class StreamJoiner {
 public:
  // Each stream's content is framed with `formats`.
  explicit StreamJoiner(const PlainFormats& formats) : out_(formats), err_(formats) {}
  StreamJoiner(const StreamJoiner&) = delete;
  StreamJoiner& operator=(const StreamJoiner&) = delete;

  // Adds a piece of content for a stream; complete = the last piece of a line.
  void piece(std::string_view content, bool complete, uint64_t offset, const LineMeta& meta,
             RecordSink& sink);
  // A line outside the wrapper's shape: a record of no stream, in its place in the order.
  void unwrapped(const FramedRecord& record, RecordSink& sink);
  void flush(RecordSink& sink);
  uint64_t held_from(uint64_t next) const;

  // Records waiting for the other stream are bounded: past these, the held entries are given up
  // (emitted as they are) rather than memory growing while one stream is silent.
  static constexpr size_t kMaxWaitingRecords = 4096;
  static constexpr size_t kMaxWaitingBytes = 4 << 20;

 private:
  static constexpr uint64_t kNothingHeld = std::numeric_limits<uint64_t>::max();
  struct PerStream {
    explicit PerStream(const PlainFormats& formats) : framer(formats) {}
    std::string partial;
    bool has_partial = false;
    uint64_t partial_offset = 0;
    LineMeta partial_meta;
    PlainFramer framer;
  };
  struct Waiting {
    std::string text;     // owned: the framer's buffer is gone once emit returns
    FramedRecord record;  // its text is set from `text` when it is passed on
  };
  // The sink each stream's framer writes to: passes a record on, or makes it wait its turn.
  class InOrder final : public RecordSink {
   public:
    explicit InOrder(StreamJoiner& joiner) : joiner_(joiner) {}
    void emit(const FramedRecord& r) override { joiner_.arrived(r); }
    RecordSink* out = nullptr;

   private:
    StreamJoiner& joiner_;
  };

  PerStream& of(Stream s) { return s == Stream::Stderr ? err_ : out_; }
  static uint64_t held_by(const PerStream& s);
  void arrived(const FramedRecord& r);
  void release();
  void flush_streams();

  PerStream out_, err_;
  InOrder in_order_{*this};
  std::deque<Waiting> waiting_;  // by offset
  size_t waiting_bytes_ = 0;
};

// What both wrappers share: partial lines joined per stream; lines that are not in the wrapper's
// shape become raw records.
class WrapperFramer : public Framer {
 public:
  using Framer::line;
  // The content is framed with `formats`; lines not in the wrapper's shape go to formats.text.
  explicit WrapperFramer(const PlainFormats& formats)
      : joiner_(formats), unwrapped_(formats.text) {}
  void flush(RecordSink& sink) override { joiner_.flush(sink); }
  uint64_t held_from(uint64_t next) const override { return joiner_.held_from(next); }

 protected:
  void not_wrapped(std::string_view line, uint64_t offset, RecordSink& sink);
  StreamJoiner joiner_;
  const Format* unwrapped_;
};

class CriFramer : public WrapperFramer {
 public:
  using Framer::line;
  using WrapperFramer::WrapperFramer;
  void line(std::string_view line, uint64_t offset, RecordSink& sink,
            const LineMeta& meta) override;
};

class DockerFramer : public WrapperFramer {
 public:
  using Framer::line;
  using WrapperFramer::WrapperFramer;
  void line(std::string_view line, uint64_t offset, RecordSink& sink,
            const LineMeta& meta) override;

 private:
  simdjson::dom::parser parser_;
  std::string padded_;
};

}  // namespace auditrelay::formats
