#include "coder/tap.h"

#include <algorithm>

namespace auditrelay::coder {

TapHub::TapHub(Metrics& metrics)
    : dropped_(metrics.counter("auditrelay_tap_events_dropped_total")),
      clients_gauge_(metrics.gauge("auditrelay_tap_clients")) {}

void TapHub::subscribe(std::shared_ptr<TapClient> client) {
  std::lock_guard lock(mu_);
  auto next = std::make_shared<std::vector<std::shared_ptr<TapClient>>>();
  if (clients_) *next = *clients_;
  next->push_back(std::move(client));
  count_.store(next->size(), std::memory_order_relaxed);
  clients_gauge_.store(static_cast<int64_t>(next->size()), std::memory_order_relaxed);
  clients_ = std::move(next);
}

void TapHub::unsubscribe(const std::shared_ptr<TapClient>& client) {
  client->stream->close();
  std::lock_guard lock(mu_);
  if (!clients_) return;
  auto next = std::make_shared<std::vector<std::shared_ptr<TapClient>>>(*clients_);
  std::erase(*next, client);
  count_.store(next->size(), std::memory_order_relaxed);
  clients_gauge_.store(static_cast<int64_t>(next->size()), std::memory_order_relaxed);
  clients_ = next->empty() ? nullptr : std::move(next);
}

void TapHub::close_all() {
  std::lock_guard lock(mu_);
  if (clients_)
    for (const auto& c : *clients_) c->stream->close();
}

TapHub::Snapshot TapHub::snapshot() const {
  if (count_.load(std::memory_order_relaxed) == 0) return nullptr;
  std::lock_guard lock(mu_);
  return clients_;
}

void TapBatch::begin(const TapHub* hub) {
  hub_ = hub;
  snapshot_ = hub ? hub->snapshot() : nullptr;
  if (!snapshot_) return;
  if (lines_.size() < snapshot_->size()) lines_.resize(snapshot_->size());
  events_.assign(snapshot_->size(), 0);
}

void TapBatch::offer(const Event& e, std::string_view input, uint64_t routes,
                     const EncodeContext& ctx) {
  for (size_t i = 0; i < snapshot_->size(); ++i) {
    const TapFilter& f = (*snapshot_)[i]->filter;
    if (!f.input.empty() && f.input != input) continue;
    if (f.output >= 0 && (f.output >= 64 || !(routes & (uint64_t{1} << f.output)))) continue;
    if (!f.match.empty() && !f.match.matches(e)) continue;
    write_event(f.schema, e, ctx, lines_[i]);
    lines_[i] += '\n';
    ++events_[i];
  }
}

void TapBatch::finish() {
  if (!snapshot_) return;
  for (size_t i = 0; i < snapshot_->size(); ++i) {
    if (events_[i] && !(*snapshot_)[i]->stream->push(lines_[i], events_[i]))
      hub_->dropped().fetch_add(events_[i], std::memory_order_relaxed);
    lines_[i].clear();
  }
  snapshot_.reset();
}

}  // namespace auditrelay::coder
