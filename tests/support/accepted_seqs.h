#pragma once
// What a test collector accepted (answered 2xx): the distinct `seq` fields of the events in the
// bodies it was sent.
#include <mutex>
#include <regex>
#include <set>
#include <string>
#include <vector>

namespace auditrelay::test {

// The seqs of every event in a body (NDJSON or HEC envelopes alike: every event carries
// "fields":{"seq":N,...}).
inline std::vector<int> seqs_of(const std::string& body) {
  static const std::regex kSeq(R"re("seq":(\d+))re");
  std::vector<int> out;
  for (auto it = std::sregex_iterator(body.begin(), body.end(), kSeq); it != std::sregex_iterator();
       ++it)
    out.push_back(std::stoi((*it)[1]));
  return out;
}

// What a test collector accepted (answered 2xx), distinct events.
class Accepted {
 public:
  void add(const std::string& body) {
    std::lock_guard lock(mu_);
    for (int q : seqs_of(body)) seqs_.insert(q);
  }
  size_t size() const {
    std::lock_guard lock(mu_);
    return seqs_.size();
  }
  bool has(int q) const {
    std::lock_guard lock(mu_);
    return seqs_.count(q) > 0;
  }

 private:
  mutable std::mutex mu_;
  std::set<int> seqs_;
};

}  // namespace auditrelay::test
