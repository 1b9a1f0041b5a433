#pragma once
// An Elasticsearch _bulk endpoint as Elasticsearch documents it, for TestHttpServer: checks the
// NDJSON (an action line, then the document, for every item), stores documents by index and _id
// with `create` semantics (409 version_conflict_engine_exception for an _id it holds), and
// answers per item. A test can script an item's status (429, a mapping error) per document.
#include <functional>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "support/http_server.h"

namespace auditrelay::test {

class EsBulkStore {
 public:
  // Returns 0 to let the store decide, or the status to answer for this document (429, 400...).
  using ItemScript = std::function<int(const nlohmann::json& action, const nlohmann::json& doc)>;

  void script(ItemScript s) {
    std::lock_guard lock(mu_);
    script_ = std::move(s);
  }
  // The whole-request answer to give instead, when it returns a status (413, 503...).
  void script_request(std::function<int(size_t items)> s) {
    std::lock_guard lock(mu_);
    request_script_ = std::move(s);
  }

  Scripted answer(const Recorded& r) {
    std::lock_guard lock(mu_);
    ++requests_;
    if (r.path != "/_bulk") return {404, R"({"error":"no handler for )" + r.path + "\"}"};
    if (r.header("Content-Type") != "application/x-ndjson")
      return {406, R"({"error":"Content-Type must be application/x-ndjson"})"};
    std::vector<std::string> lines;
    std::istringstream in(r.body);
    for (std::string l; std::getline(in, l);) lines.push_back(l);
    if (r.body.empty() || r.body.back() != '\n' || lines.size() % 2 != 0)
      return {
          400,
          R"({"error":{"type":"illegal_argument_exception","reason":"The bulk request must be terminated by a newline"}})"};
    if (request_script_)
      if (int status = request_script_(lines.size() / 2))
        return {status, R"({"error":"scripted"})"};
    nlohmann::json items = nlohmann::json::array();
    bool errors = false;
    for (size_t k = 0; k < lines.size(); k += 2) {
      nlohmann::json item = this->item(lines[k], lines[k + 1]);
      errors |= item.begin().value()["status"].get<int>() >= 300;
      items.push_back(std::move(item));
    }
    return {200, nlohmann::json{{"took", 1}, {"errors", errors}, {"items", items}}.dump()};
  }

  // index → _id → document
  std::map<std::string, std::map<std::string, nlohmann::json>> docs() {
    std::lock_guard lock(mu_);
    return docs_;
  }
  size_t stored() {
    std::lock_guard lock(mu_);
    size_t n = 0;
    for (const auto& [index, by_id] : docs_) n += by_id.size();
    return n;
  }
  size_t conflicts() {
    std::lock_guard lock(mu_);
    return conflicts_;
  }
  std::vector<std::string> malformed() {
    std::lock_guard lock(mu_);
    return malformed_;
  }

 private:
  nlohmann::json item(const std::string& action_line, const std::string& doc_line) {
    auto action = nlohmann::json::parse(action_line, nullptr, false);
    auto doc = nlohmann::json::parse(doc_line, nullptr, false);
    if (action.is_discarded() || !action.is_object() || action.size() != 1 || doc.is_discarded()) {
      malformed_.push_back(action_line);
      return error_item("create", 400, "parse_exception", "malformed action or document");
    }
    const std::string op = action.begin().key();
    const nlohmann::json& meta = action.begin().value();
    if ((op != "create" && op != "index") || !meta.contains("_index")) {
      malformed_.push_back(action_line);
      return error_item(op, 400, "action_request_validation_exception", "index is missing");
    }
    if (script_)
      if (int status = script_(action, doc))
        return error_item(
            op, status,
            status == 429 ? "es_rejected_execution_exception" : "mapper_parsing_exception",
            status == 429 ? "rejected execution (queue full)" : "failed to parse field [x]");
    const std::string index = meta["_index"];
    std::string id = meta.contains("_id") ? meta["_id"].get<std::string>()
                                          : "auto-" + std::to_string(next_auto_id_++);
    auto& by_id = docs_[index];
    if (op == "create" && by_id.count(id)) {
      ++conflicts_;
      return error_item(op, 409, "version_conflict_engine_exception",
                        "[" + id + "]: version conflict, document already exists");
    }
    bool created = by_id.emplace(id, doc).second;
    if (!created) by_id[id] = doc;
    return {{op,
             {{"_index", index},
              {"_id", id},
              {"status", created ? 201 : 200},
              {"result", created ? "created" : "updated"}}}};
  }

  static nlohmann::json error_item(const std::string& op, int status, const std::string& type,
                                   const std::string& reason) {
    return {{op, {{"status", status}, {"error", {{"type", type}, {"reason", reason}}}}}};
  }

  std::mutex mu_;
  ItemScript script_;
  std::function<int(size_t)> request_script_;
  std::map<std::string, std::map<std::string, nlohmann::json>> docs_;
  size_t requests_ = 0, conflicts_ = 0, next_auto_id_ = 0;
  std::vector<std::string> malformed_;
};

}  // namespace auditrelay::test
