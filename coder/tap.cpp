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

void TapHub::close_where(const std::function<bool(const TapClient&)>& stale,
                         const std::string& why) {
  std::vector<std::shared_ptr<TapClient>> gone;
  {
    std::lock_guard lock(mu_);
    if (clients_)
      for (const auto& c : *clients_)
        if (stale(*c)) gone.push_back(c);
  }
  for (const auto& c : gone) {
    c->stream->close(why);
    unsubscribe(c);
  }
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
  // Cleared here too: a batch that threw left its lines behind, and index i may now be
  // another client.
  lines_.resize(snapshot_->size());
  for (auto& l : lines_) l.clear();
}

void TapBatch::offer(const Event& e, std::string_view input, uint64_t routes,
                     const EncodeContext& ctx) noexcept {
  for (size_t i = 0; i < snapshot_->size(); ++i) {
    const TapFilter& f = (*snapshot_)[i]->filter;
    if (!f.input.empty() && f.input != input) continue;
    if (f.output >= 0 && (f.output >= 64 || !(routes & (uint64_t{1} << f.output)))) continue;
    size_t start = lines_[i].size();
    try {
      if (!f.match.empty() && !f.match.matches(e)) continue;
      write_event(f.schema, e, ctx, lines_[i]);
      lines_[i] += '\n';
    } catch (...) {  // out of memory: this client misses the event, delivery does not
      lines_[i].resize(start);
      (*snapshot_)[i]->stream->count_dropped(1);
      hub_->dropped().fetch_add(1, std::memory_order_relaxed);
    }
  }
}

void TapBatch::finish() {
  if (!snapshot_) return;
  for (size_t i = 0; i < snapshot_->size(); ++i) {
    if (lines_[i].empty()) continue;
    if (uint64_t dropped = (*snapshot_)[i]->stream->push(lines_[i]))
      hub_->dropped().fetch_add(dropped, std::memory_order_relaxed);
    lines_[i].clear();
  }
  snapshot_.reset();
}

}  // namespace auditrelay::coder
