#pragma once
// The output driver shared by every output (the OpenTelemetry Collector's exporter helper idea).
// It owns everything between the pipeline and a plugin's send():
//   - restores pipeline order and cuts output batches by events, bytes (with the plugin's
//     framing) and age; each batch holds a completion share of every pipeline batch it takes
//     events from (core/pipeline/in_flight.h);
//   - sends on `concurrency` sender threads;
//   - every retry: exponential backoff with jitter or the server's Retry-After, for the whole
//     batch or the events the plugin names;
//   - dead-letters rejected events;
//   - asynchronous acknowledgements: a batch the destination accepted "pending" waits in a
//     bounded set that one thread polls; it completes when acknowledged and is sent again when
//     `ack_timeout` passes, while sending goes on;
//   - with a disk buffer, acknowledges pipeline batches once written there and sends from it.
// A pipeline batch is acknowledged to its source only when all its parts are done, for every
// output it was routed to. Nothing is acknowledged past the shutdown deadline.
#include <blockingconcurrentqueue.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "core/common/time_source.h"
#include "core/metrics/metrics.h"
#include "core/pipeline/ack_spill.h"
#include "core/pipeline/batch_assembler.h"
#include "core/pipeline/dead_letter.h"
#include "core/pipeline/disk_buffer.h"
#include "core/pipeline/encoded_batch.h"
#include "core/pipeline/in_flight.h"
#include "core/pipeline/pending_acks.h"
#include "core/plugin/output.h"

namespace auditrelay {

struct OutputDriverOptions {
  std::string name;
  int index = 0;  // routing bit
  Schema schema = Schema::AuditV1;  // which encoding of each event this output sends
  size_t max_events = 1000;
  size_t max_bytes = 1024 * 1024;
  std::chrono::milliseconds max_delay{1000};
  std::chrono::milliseconds retry_initial{500};
  std::chrono::milliseconds retry_max{30000};
  int concurrency = 1;         // batches being sent at once
  bool shared_output = false;  // one output instance takes every sender's send() at once
  std::string data_dir;
  // Disk buffer (buffer.type: disk).
  bool disk_buffer = false;
  uint64_t buffer_max_size = 1ull << 30;
  bool buffer_drop_oldest = false;
  // Where batches awaiting acknowledgement wait; one directory per driver instance (a reload
  // may run two drivers of one name at once). Default: data_dir/ack_spill/<name>.
  std::string ack_spill_dir;
};

using OutputFactoryFn = std::function<std::unique_ptr<Output>()>;

class OutputDriver {
 public:
  OutputDriver(OutputDriverOptions opts, OutputFactoryFn factory, Metrics& metrics,
               TimeSource& clock = TimeSource::steady());
  ~OutputDriver();
  OutputDriver(const OutputDriver&) = delete;
  OutputDriver& operator=(const OutputDriver&) = delete;

  bool start(std::string& error);
  // The first pipeline sequence this driver will be offered (a driver added by a reload starts
  // mid-stream). Call before the first enqueue.
  void set_first_sequence(uint64_t sequence) { next_sequence_ = sequence; }
  bool uses_disk_buffer() const { return opts_.disk_buffer; }
  int index() const { return opts_.index; }
  // Every pipeline batch is offered to every driver (in any order; the driver restores it). The
  // driver owns one completion share of it.
  void enqueue(std::shared_ptr<EncodedBatch> batch) { queue_.enqueue(std::move(batch)); }
  // An input waits for memory (MemoryBudget::on_wait): the batch that is filling holds some of
  // it, so it is sent as soon as no batch is being sent, instead of at max_delay. Without this, a
  // budget smaller than one full batch would let a batch leave only every max_delay.
  void send_filling_batch_soon() {
    if (!opts_.disk_buffer && !memory_wanted_.exchange(true))
      queue_.enqueue(nullptr);  // wakes the driver thread
  }
  // Stops taking new batches once `deadline` passes; delivers what it has until then.
  void stop(TimeSource::time_point deadline);
  const std::string& name() const { return opts_.name; }
  // Seconds the output has been failing; 0 when healthy.
  int64_t failing_for_seconds() const;
  // Batches awaiting the destination's acknowledgement (tests).
  size_t pending_acks() const { return pending_ ? pending_->size() : 0; }

 private:
  void run();
  void take_from_pipeline();
  void take_from_buffer();
  bool take_ordered(std::shared_ptr<EncodedBatch> batch,
                    std::vector<std::shared_ptr<EncodedBatch>>& ready);
  void buffer_writer_run();
  void dispatch(std::unique_ptr<InFlight> f);
  void sender_run(Output* output);
  void settle(std::unique_ptr<InFlight> f, Output& output);
  SendResult call_send(Output& output, const OutBatch& batch);
  // Applies an answer: dead-letters rejected events, drops what is done from the batch.
  struct Applied {
    size_t delivered = 0;          // taken by the destination
    size_t not_dead_lettered = 0;  // refused, but the dead-letter write failed: kept
  };
  Applied apply(InFlight& f, const SendResult& r);
  void dead_letter(InFlight& f, const SendResult& r, std::vector<char>& done);
  void complete(InFlight& f);
  void abandon(InFlight& f, const std::string& why);
  void ack_run();
  void await_ack(std::unique_ptr<InFlight> f, Output& output, std::vector<uint64_t> ids);
  bool unspill(InFlight& f);
  bool wait(std::chrono::milliseconds d);
  bool stopping_hard() const;
  bool idle() const;
  bool senders_idle_for_memory();

  OutputDriverOptions opts_;
  OutputFactoryFn factory_;
  Metrics& metrics_;
  TimeSource& clock_;
  std::vector<std::unique_ptr<Output>> outputs_;
  moodycamel::BlockingConcurrentQueue<std::shared_ptr<EncodedBatch>> queue_;
  std::map<uint64_t, std::shared_ptr<EncodedBatch>> reorder_;
  uint64_t next_sequence_ = 0;
  std::unique_ptr<BatchAssembler> assembler_;
  uint64_t next_batch_id_ = 1;

  // Batches handed to the senders and not yet settled; dispatch waits while `concurrency` are.
  moodycamel::BlockingConcurrentQueue<std::unique_ptr<InFlight>> ready_;
  std::atomic<int> in_flight_{0};
  // Batches dispatched and not yet completed or abandoned, wherever they are (ready queue,
  // sender, pending acknowledgement, on their way back for a resend): idle means none.
  std::atomic<int> outstanding_{0};
  // Set by send_filling_batch_soon(); cleared when the filling batch is sent.
  std::atomic<bool> memory_wanted_{false};
  std::mutex slots_mu_;
  std::condition_variable slot_free_;
  std::vector<std::thread> senders_;

  AckSettings acks_;
  std::unique_ptr<AckSpill> spill_;  // before pending_: pending batches refer to it
  std::unique_ptr<PendingAcks> pending_;
  std::thread ack_thread_;
  std::atomic<bool> ack_stop_{false};

  std::unique_ptr<DiskBuffer> buffer_;
  std::thread buffer_writer_;
  std::atomic<bool> writer_done_{false};

  DeadLetterFile dlq_;
  std::thread thread_;
  std::atomic<bool> stop_requested_{false};
  std::atomic<bool> senders_stop_{false};
  std::atomic<int64_t> deadline_ns_{INT64_MAX};
  std::atomic<int64_t> failing_since_ns_{0};

  Metrics::Counter& sent_;
  Metrics::Counter& failed_;
  Metrics::Counter& retried_;
  Metrics::Counter& dead_lettered_;
  Metrics::Counter& batches_;
  Metrics::Counter& ack_timeouts_;
  std::atomic<int64_t>& acks_pending_gauge_;
  Histogram& latency_;
};

}  // namespace auditrelay
