#pragma once
// Key names whose values are replaced by "[REDACTED]" wherever they appear in diff,
// additional_fields or fields (matched case-insensitively).
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/common/strings.h"

namespace auditrelay {

class Redaction {
 public:
  static std::vector<std::string> default_keys() {
    return {"hashed_password", "private_key", "hashed_secret", "token_hashed_secret", "jwt",
            "client_secret", "registration_access_token", "password", "token"};
  }
  Redaction() : Redaction(default_keys()) {}
  explicit Redaction(std::vector<std::string> keys) : keys_(std::move(keys)) {
    for (auto& k : keys_) {
      k = to_lower(k);
      lengths_ |= k.size() < 64 ? uint64_t{1} << k.size() : kLongKeys;
    }
  }
  bool matches(std::string_view key) const {
    // Most keys have no redacted key's length: one test instead of a compare per key (every
    // field and every member of a diff is checked).
    uint64_t bit = key.size() < 64 ? uint64_t{1} << key.size() : kLongKeys;
    if (!(lengths_ & bit)) return false;
    for (const auto& k : keys_)
      if (iequals(k, key)) return true;
    return false;
  }
  const std::vector<std::string>& keys() const { return keys_; }

 private:
  // Bit n: a key of n bytes; bit 63 also stands for every key of 63 bytes or more.
  static constexpr uint64_t kLongKeys = uint64_t{1} << 63;
  std::vector<std::string> keys_;
  uint64_t lengths_ = 0;
};

}  // namespace auditrelay
