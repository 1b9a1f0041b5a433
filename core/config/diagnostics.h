#pragma once
// Config problems, collected so that every one is reported at once as FILE:LINE: path: message.
#include <set>
#include <string>
#include <vector>

namespace auditrelay {

struct Diagnostic {
  std::string file;
  int line = 0;  // 1-based; 0 = unknown
  std::string path;
  std::string message;

  std::string to_string() const;
};

class Diagnostics {
 public:
  explicit Diagnostics(std::string file = {}) : file_(std::move(file)) {}
  void error(int line, std::string path, std::string message) {
    if (line > 0 && unresolved_lines_.contains(line)) return;  // already explained
    items_.push_back(Diagnostic{file_, line, std::move(path), std::move(message)});
  }
  // A line whose ${VAR} could not be substituted: that error is the one to read, so later ones
  // about the same line's value (empty, wrong type) are not reported.
  void unresolved_at(int line) { unresolved_lines_.insert(line); }
  bool ok() const { return items_.empty(); }
  const std::vector<Diagnostic>& items() const { return items_; }
  const std::string& file() const { return file_; }
  std::string to_string() const;

 private:
  std::string file_;
  std::vector<Diagnostic> items_;
  std::set<int> unresolved_lines_;
};

}  // namespace auditrelay
