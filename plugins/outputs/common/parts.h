#pragma once
// Sending a batch in parts: a destination that refuses a request as too large (HTTP 413) gets
// it again in halves, first half first, down to single events. Used by outputs whose answer is
// judged per event (elasticsearch, otlp); splunk_hec bisects for bad events the same way.
#include <chrono>
#include <cstddef>
#include <string>
#include <vector>

#include "core/plugin/output.h"

namespace auditrelay {

enum class PartAnswer {
  Judged,    // every event of the part has its outcome
  TooLarge,  // 413: send it again in halves (post() judges a single event itself)
  Stop,      // the destination is unavailable: post nothing more (the rest is resent)
};

// Whether a whole request's HTTP status means "send it again later" for outputs that judge
// events one by one: connection errors (0), redirects, 401/403 (a credential being rotated must
// not dead-letter everything meanwhile), 408, 429 and 5xx.
inline bool retry_whole_request(long status) {
  return status == 0 || (status >= 300 && status < 400) || status == 401 || status == 403 ||
         status == 408 || status == 429 || status >= 500;
}

// Calls post(part) for parts of events 0..n-1 until every event is judged or post says Stop.
template <typename Post>
void post_in_parts(size_t n, Post&& post) {
  std::vector<size_t> all(n);
  for (size_t i = 0; i < n; ++i) all[i] = i;
  std::vector<std::vector<size_t>> work{std::move(all)};
  while (!work.empty()) {
    std::vector<size_t> part = std::move(work.back());
    work.pop_back();
    if (part.empty()) continue;
    PartAnswer a = post(part);
    if (a == PartAnswer::Stop) return;
    if (a == PartAnswer::TooLarge && part.size() > 1) {
      const auto half = static_cast<std::ptrdiff_t>(part.size() / 2);
      work.emplace_back(part.begin() + half, part.end());
      work.emplace_back(part.begin(), part.begin() + half);
    }
  }
}

// What became of each event of a batch sent in parts. Events never answered for stay Retry.
enum class EventOutcome : uint8_t { Retry, Delivered, Rejected };

// The driver's answer: rejected events with their reasons; when any are left to retry, Retry
// with those (the first one's own reason when it has one, else retry_why).
inline SendResult result_of(const std::vector<EventOutcome>& outcome,
                            std::vector<std::string>& reason, const std::string& retry_why,
                            std::chrono::milliseconds retry_after) {
  std::vector<size_t> rejected, resend;
  std::vector<std::string> reasons;
  for (size_t i = 0; i < outcome.size(); ++i) {
    if (outcome[i] == EventOutcome::Rejected) {
      rejected.push_back(i);
      reasons.push_back(std::move(reason[i]));
    } else if (outcome[i] == EventOutcome::Retry) {
      resend.push_back(i);
    }
  }
  SendResult r;
  if (!resend.empty()) {
    const std::string& why = reason[resend.front()].empty() ? retry_why : reason[resend.front()];
    r = SendResult::retry_events(std::move(resend), why, retry_after);
  } else if (!rejected.empty()) {
    r.status = SendResult::Status::Rejected;
  }
  r.rejected = std::move(rejected);
  r.reasons = std::move(reasons);
  if (r.reason.empty() && !r.reasons.empty()) r.reason = r.reasons.front();
  return r;
}

}  // namespace auditrelay
