// Which source key a field is: the table of the keys each kind maps, and the one pass over an
// entry's fields that sorts them into slots.
#include "coder/normalize/mapping.h"

namespace auditrelay::coder::mapping {
namespace {

struct KeyName {
  std::string_view name;
  Key key;
  uint8_t kinds;  // the kinds whose entries map this key, one bit per Kind
};

constexpr uint8_t kind_bit(Kind k) {
  return static_cast<uint8_t>(1u << static_cast<int>(k));
}

constexpr uint8_t A = kind_bit(Kind::Audit), C = kind_bit(Kind::Connection),
                  L = kind_bit(Kind::Log), B = kind_bit(Kind::Boundary);

constexpr KeyName kKeys[] = {
    {"id", Key::Id, A | C},
    {"time", Key::Time, A | C},
    {"userid", Key::UserId, A | C},
    {"organizationid", Key::OrganizationId, A | C},
    {"ip", Key::Ip, A | C},
    {"useragent", Key::UserAgent, A | C},
    {"resourcetype", Key::ResourceType, A},
    {"resourceid", Key::ResourceId, A},
    {"resourcetarget", Key::ResourceTarget, A},
    {"resourceicon", Key::ResourceIcon, A},
    {"action", Key::Action, A},
    {"diff", Key::Diff, A},
    {"statuscode", Key::StatusCode, A},
    {"additionalfields", Key::AdditionalFields, A},
    {"requestid", Key::RequestId, A | C | L | B},
    {"actor", Key::Actor, A},
    {"workspaceownerid", Key::WorkspaceOwnerId, C},
    {"workspaceid", Key::WorkspaceId, C | L | B},
    {"workspacename", Key::WorkspaceName, C | L | B},
    {"agentname", Key::AgentName, C | B},
    {"type", Key::Type, C},
    {"code", Key::Code, C},
    {"slugorport", Key::SlugOrPort, C},
    {"connectionid", Key::ConnectionId, C},
    {"disconnectreason", Key::DisconnectReason, C},
    {"closereason", Key::DisconnectReason, C},
    {"connectionstatus", Key::ConnectionStatus, C},
    {"error", Key::Error, A | C | L},
    {"reason", Key::Reason, L},
    {"owner", Key::Owner, B},
    {"decision", Key::Decision, B},
    {"templateid", Key::TemplateId, B},
    {"templateversionid", Key::TemplateVersionId, B},
    {"httpmethod", Key::HttpMethod, B},
    {"httpurl", Key::HttpUrl, B},
    {"eventtime", Key::EventTime, B},
    {"matchedrule", Key::MatchedRule, B},
};

// Compares a source key with a table name ignoring case and underscores, so that Coder's
// PascalCase (RequestID), v1's snake_case (request_id) and context fields all meet.
bool key_equals(std::string_view key, std::string_view name) {
  size_t j = 0;
  for (char c : key) {
    if (c == '_') continue;
    if (j >= name.size() || ascii_lower(c) != name[j]) return false;
    ++j;
  }
  return j == name.size();
}

// Table entries by the lower-cased first letter of their name, so a key is compared with the
// one or two names that can match instead of all of them.
struct KeyIndex {
  uint8_t start[27] = {};
  uint8_t order[sizeof(kKeys) / sizeof(kKeys[0])] = {};
  constexpr KeyIndex() {
    size_t n = 0;
    for (int letter = 0; letter < 26; ++letter) {
      start[letter] = static_cast<uint8_t>(n);
      for (size_t i = 0; i < sizeof(kKeys) / sizeof(kKeys[0]); ++i)
        if (kKeys[i].name[0] == 'a' + letter) order[n++] = static_cast<uint8_t>(i);
    }
    start[26] = static_cast<uint8_t>(n);
  }
};
constexpr KeyIndex kKeyIndex;

Key classify(std::string_view key, uint8_t kind_bit) {
  if (key.empty()) return Key::None;
  char first = ascii_lower(key[0]);
  if (first < 'a' || first > 'z') return Key::None;
  int letter = first - 'a';
  for (size_t j = kKeyIndex.start[letter]; j < kKeyIndex.start[letter + 1]; ++j) {
    const auto& k = kKeys[kKeyIndex.order[j]];
    if (key.size() >= k.name.size() && key.size() <= k.name.size() + 3 && (k.kinds & kind_bit) &&
        key_equals(key, k.name))
      return k.key;
  }
  return Key::None;
}

}  // namespace

void collect_fields(const std::vector<Field>& fields, Kind kind, MappedFields& mapped,
                    std::vector<const Field*>& unmapped) {
  const uint8_t bit = kind_bit(kind);
  for (const auto& f : fields) {
    Key k = classify(f.key, bit);
    if (k != Key::None) {
      mapped.set(k, f);
      continue;
    }
    if (is_null_like(f.value)) continue;
    // A repeated unmapped key replaces the earlier one.
    bool replaced = false;
    for (auto& prev : unmapped) {
      if (prev->key.size() == f.key.size() && prev->key == f.key) {
        prev = &f;
        replaced = true;
        break;
      }
    }
    if (!replaced) unmapped.push_back(&f);
  }
}

}  // namespace auditrelay::coder::mapping
