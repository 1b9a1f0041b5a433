#include "core/pipeline/pending_acks.h"

#include <algorithm>
#include <chrono>
#include <map>
#include <unordered_set>

namespace auditrelay {

std::unique_ptr<InFlight> PendingAcks::add(std::unique_ptr<InFlight> f,
                                           const std::function<bool()>& give_up) {
  std::unique_lock lock(mu_);
  while (batches_.size() >= max_) {
    if (give_up()) return f;
    room_.wait_for(lock, std::chrono::milliseconds(20));
  }
  batches_.push_back(std::move(f));
  return nullptr;
}

PendingAcks::Sweep PendingAcks::poll(TimeSource::time_point now) {
  std::map<Output*, std::vector<uint64_t>> asked;
  {
    std::lock_guard lock(mu_);
    for (const auto& f : batches_)
      for (uint64_t id : f->ack_ids) asked[f->sent_via].push_back(id);
  }
  // Batches are only ever removed by this thread, so the instances asked stay valid.
  std::map<Output*, std::unordered_set<uint64_t>> acknowledged;
  for (auto& [output, ids] : asked) {
    try {
      auto yes = output->poll_acks(ids);
      acknowledged[output].insert(yes.begin(), yes.end());
    } catch (const std::exception&) {
      // As a failed poll: nothing acknowledged this round; the deadlines still run.
    }
  }
  Sweep sweep;
  std::lock_guard lock(mu_);
  for (auto it = batches_.begin(); it != batches_.end();) {
    InFlight& f = **it;
    const auto& yes = acknowledged[f.sent_via];
    std::erase_if(f.ack_ids, [&](uint64_t id) { return yes.count(id) > 0; });
    if (f.ack_ids.empty()) {
      sweep.acknowledged.push_back(std::move(*it));
    } else if (now >= f.ack_deadline) {
      sweep.expired.push_back(std::move(*it));
    } else {
      ++it;
      continue;
    }
    it = batches_.erase(it);
  }
  if (!sweep.acknowledged.empty() || !sweep.expired.empty()) room_.notify_all();
  return sweep;
}

size_t PendingAcks::size() const {
  std::lock_guard lock(mu_);
  return batches_.size();
}

std::vector<std::unique_ptr<InFlight>> PendingAcks::drain() {
  std::lock_guard lock(mu_);
  std::vector<std::unique_ptr<InFlight>> out;
  for (auto& f : batches_) out.push_back(std::move(f));
  batches_.clear();
  room_.notify_all();
  return out;
}

}  // namespace auditrelay
