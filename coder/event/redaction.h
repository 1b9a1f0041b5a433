#pragma once
// Key names whose values are replaced by "[REDACTED]" wherever they appear in diff,
// additional_fields or fields (matched case-insensitively).
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
    for (auto& k : keys_) k = to_lower(k);
  }
  bool matches(std::string_view key) const {
    for (const auto& k : keys_)
      if (iequals(k, key)) return true;
    return false;
  }
  const std::vector<std::string>& keys() const { return keys_; }

 private:
  std::vector<std::string> keys_;
};

}  // namespace auditrelay
