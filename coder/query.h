#pragma once
// Filter queries in Coder's search syntax (FORMATS.md §11, interface.md "Filter queries"):
// space-separated key:value terms; terms with different keys must all hold, terms with the same
// key are alternatives; values compare case-insensitively; double quotes allow spaces.
#include <memory>
#include <string>
#include <vector>

#include "coder/event/event.h"

namespace auditrelay::coder {

class Query {
 public:
  // Compiles text; on error returns nullptr and sets error to a message naming the term.
  static std::unique_ptr<Query> compile(const std::string& text, std::string& error);
  bool matches(const Event& e) const;
  const std::string& text() const { return text_; }
  bool empty() const { return groups_.empty(); }

  enum class Field : uint8_t;
  struct Term {
    Field field;
    std::string value;  // lower-cased
    int severity_min = -1;
    Timestamp bound;
  };

 private:
  std::string text_;
  std::vector<std::vector<Term>> groups_;  // AND of ORs
};

// Several queries, any of which may hold (`match: [...]`, `drop: [...]`): a user can say "audit
// or connection events or alerting errors", which one query's AND of keys cannot.
class AnyQuery {
 public:
  // Compiles text and adds it; on error returns false and sets error (nothing is added).
  bool add(const std::string& text, std::string& error);
  bool matches(const Event& e) const;  // false when empty
  bool empty() const { return queries_.empty(); }

 private:
  std::vector<std::unique_ptr<Query>> queries_;
};

// The keys a query may use, for docs and error messages.
std::vector<std::string> query_keys();

}  // namespace auditrelay::coder
