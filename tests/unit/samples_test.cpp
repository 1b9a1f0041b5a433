// Every line of every sample normalizes, and representative entries of every format and Coder
// version are checked field by field against audit-schema.md.
#include <gtest/gtest.h>

#include <algorithm>
#include <set>

#include "support/normalize_helper.h"

using namespace auditrelay::test;
using nlohmann::json;

namespace {

struct Expect {
  std::string select;   // event_id, or "msg:<message>#<n>" for the n-th log event with that message
  std::string pointer;  // JSON pointer into the event
  json value;           // expected value; null = must be absent
};

const json* select(const std::vector<json>& events, const std::string& sel) {
  if (sel.rfind("msg:", 0) == 0) {
    size_t hash = sel.rfind('#');
    std::string msg = sel.substr(4, hash - 4);
    int n = std::stoi(sel.substr(hash + 1));
    for (const auto& e : events)
      if (e.value("message", "") == msg && n-- == 0) return &e;
    return nullptr;
  }
  return find_by_id(events, sel);
}

// Values that hold for the JSON, human and (where present) container renderings alike.
const std::vector<Expect> kExpect = {
    // audit: workspace_build stop by autostop, v2 with actor
    {"c3f6ed89-fb89-4033-88cd-7a4bb7bb42eb", "/kind", "audit"},
    {"c3f6ed89-fb89-4033-88cd-7a4bb7bb42eb", "/time", "2025-09-16T01:00:04.898394Z"},
    {"c3f6ed89-fb89-4033-88cd-7a4bb7bb42eb", "/action", "stop"},
    {"c3f6ed89-fb89-4033-88cd-7a4bb7bb42eb", "/build_reason", "autostop"},
    {"c3f6ed89-fb89-4033-88cd-7a4bb7bb42eb", "/actor",
     {{"id", "fba7f61b-742f-4b85-851d-5f9ed44b4e52"}, {"username", "dmitri"}, {"email", "dmitri.volkov@acme-corp.io"}}},
    {"c3f6ed89-fb89-4033-88cd-7a4bb7bb42eb", "/workspace",
     {{"id", "c4600bd7-434e-4085-8a30-e664b1923ec3"}, {"name", "rust-playground"}, {"owner_username", "dmitri"}}},
    {"c3f6ed89-fb89-4033-88cd-7a4bb7bb42eb", "/additional_fields/build_number", "31"},
    {"c3f6ed89-fb89-4033-88cd-7a4bb7bb42eb", "/diff", nullptr},  // {} is omitted
    // 2023-style audit: legacy null wrappers, nil org, no actor object
    {"5485326e-37ba-4f75-96cd-b3e44cf7b620", "/actor", {{"id", "8165e8e1-1005-4ec4-86c8-d7b79f52b29f"}}},
    {"5485326e-37ba-4f75-96cd-b3e44cf7b620", "/organization_id", nullptr},
    {"5485326e-37ba-4f75-96cd-b3e44cf7b620", "/resource", {{"type", "workspace_build"}, {"id", "310472e6-2968-44c5-8764-7791765d7bb8"}}},
    {"5485326e-37ba-4f75-96cd-b3e44cf7b620", "/build_reason", "autostart"},
    {"5485326e-37ba-4f75-96cd-b3e44cf7b620", "/workspace", {{"name", "legacy-vm"}}},
    // login audit with IP and user agent
    {"78d7cd07-8df3-4b63-88f4-0b211f87e1e7", "/action", "login"},
    {"78d7cd07-8df3-4b63-88f4-0b211f87e1e7", "/status_code", 201},
    {"78d7cd07-8df3-4b63-88f4-0b211f87e1e7", "/actor/ip", "10.20.4.17"},
    // failed login keeps its 401
    {"c8fcb886-58bc-4202-a98f-ddc67e0b7082", "/status_code", 401},
    {"c8fcb886-58bc-4202-a98f-ddc67e0b7082", "/actor/username", "bob"},
    // secret diffs never carry values
    {"1e5c7a96-6d35-4204-8eec-726d68816146", "/diff", {{"hashed_password", {{"secret", true}}}}},
    {"1e5c7a96-6d35-4204-8eec-726d68816146", "/organization_id", nullptr},
    {"a7de42de-c7f9-48c1-ab80-f1193f88405e", "/diff/private_key", {{"secret", true}}},
    {"a7de42de-c7f9-48c1-ab80-f1193f88405e", "/diff/user_id/new", "fba7f61b-742f-4b85-851d-5f9ed44b4e52"},
    // diff values of every type, inner keys lower-cased
    {"37e1ff40-6c86-416c-8c9c-61c6f044dbda", "/diff/ttl", {{"new", 14400000000000LL}}},  // old was null: omitted
    {"37e1ff40-6c86-416c-8c9c-61c6f044dbda", "/diff/name", {{"old", ""}, {"new", "data-explorer"}}},
    {"d2115835-5da4-4e99-b854-310a30e953c4", "/diff/id", {{"old", 0}, {"new", 3}}},
    {"d2115835-5da4-4e99-b854-310a30e953c4", "/resource/target", "3"},
    // dormancy write by the system: zero-value actor means no actor
    {"c9991343-4db6-46e7-a28c-06d4b078ded2", "/actor", nullptr},
    {"c9991343-4db6-46e7-a28c-06d4b078ded2", "/additional_fields/automatic_subsystem", "dormancy"},
    {"c9991343-4db6-46e7-a28c-06d4b078ded2", "/diff/dormant_at/new", "2025-09-16T18:00:00.409Z"},
    // connection: ssh connect (agent) — no actor id, resource from workspace and agent
    {"d86f432f-840f-4c57-b052-014983b487c8", "/action", "connect"},
    {"d86f432f-840f-4c57-b052-014983b487c8", "/status_code", nullptr},
    {"d86f432f-840f-4c57-b052-014983b487c8", "/resource", {{"type", "workspace_agent"}, {"id", "c02d7594-55c5-43c0-8204-1ef19c710298"}, {"target", "dev.main"}}},
    {"d86f432f-840f-4c57-b052-014983b487c8", "/actor/id", nullptr},
    // ssh disconnect with exit code 0 and a reason
    {"b7e10438-50f8-4926-88bc-71b89f90eefb", "/action", "disconnect"},
    {"b7e10438-50f8-4926-88bc-71b89f90eefb", "/status_code", 0},
    {"b7e10438-50f8-4926-88bc-71b89f90eefb", "/connection/status", "disconnected"},
    // reconnecting_pty disconnect with 137
    {"ba074673-41be-4c03-9b61-a251f4b474ed", "/status_code", 137},
    {"ba074673-41be-4c03-9b61-a251f4b474ed", "/connection/type", "reconnecting_pty"},
    // web events: open, workspace_app resource, actor from UserID, non-ASCII user agent
    {"b58fbce5-0ccb-4767-befa-6da73871b794", "/action", "open"},
    {"b58fbce5-0ccb-4767-befa-6da73871b794", "/resource/type", "workspace_app"},
    {"b58fbce5-0ccb-4767-befa-6da73871b794", "/connection/slug_or_port", "code-server"},
    {"b58fbce5-0ccb-4767-befa-6da73871b794", "/actor/id", "a1216d5e-8ae8-4ee0-80fe-de5b9ad7a136"},
    {"05d81e3a-2338-4b62-a110-711b186676dc", "/status_code", 502},
    {"05d81e3a-2338-4b62-a110-711b186676dc", "/connection", {{"type", "port_forwarding"}, {"status", "connected"}, {"slug_or_port", "8080"}}},
    // first-release connection entry: Time second, CloseReason
    {"c023d890-ef2c-47b1-8109-30d5989ff607", "/time", "2025-09-16T12:58:41.923468875Z"},
    {"c023d890-ef2c-47b1-8109-30d5989ff607", "/connection/id", "1a9fce47-99f2-4513-8842-b6c1bac3cedf"},
    // log events: error chains flattened, alerts tagged
    {"msg:failed to transition workspace#0", "/error",
     "transition workspace: build workspace with transition \"start\": get template version job: sql: no rows in result set"},
    {"msg:failed to transition workspace#0", "/alert/rule", "autostart_failed"},
    {"msg:failed to transition workspace#0", "/severity", "error"},
    {"msg:failed to transition workspace#0", "/logger", "autobuild"},
    {"msg:workspace build error#0", "/alert/rule", "autostart_failed"},  // coderd.autobuild
    {"msg:workspace build error#0", "/logger", "coderd.autobuild"},
    {"msg:workspace build error#1", "/alert/rule", "workspace_build_error"},
    {"msg:workspace build error#1", "/error",
     "build tx: insert workspace build: pq: duplicate key value violates unique constraint \"workspace_builds_workspace_id_build_number_key\""},
    {"msg:unable to create API key#0", "/error", "create API key: api key lifetime exceeds the maximum allowed"},
    {"msg:unable to create API key#0", "/alert/rule", "authentication_error"},
    {"msg:failed to insert job logs#0", "/alert/rule", "provisioner_job_error"},
    {"msg:failed to insert job logs#0", "/logger", "coderd.provisionerd-coder-7c9f8d6b5-xk2lp-1"},
    {"msg:can't get workspace rows#0", "/alert/rule", "metrics_queue_full"},
    {"msg:can't get workspace rows#0", "/logger", "coderd.prometheusmetrics"},
    {"msg:acquire job#0", "/severity", "warn"},
    {"msg:acquire job#0", "/alert", nullptr},  // WARN is below the alert threshold
    {"msg:scheduling workspace transition#0", "/build_reason", "autostop"},
    {"msg:scheduling workspace transition#0", "/workspace", {{"id", "c4600bd7-434e-4085-8a30-e664b1923ec3"}, {"name", "rust-playground"}}},
    {"msg:scheduling workspace transition#0", "/fields", {{"transition", "stop"}}},
    {"msg:POST#0", "/fields/status_code", 500},
    {"msg:POST#0", "/fields/requestor_name", "bob"},
    {"msg:dormant workspace#0", "/fields/last_used_at", "2025-08-16T16:57:58.487996Z"},
    {"msg:new version of coder available#0", "/fields/new_version", "v2.26.1"},
    {"msg:password reset requested for account that does not exist#0", "/fields/email", "former.employee@acme-corp.io"},
    // boundary: an allow with its rule, a fully qualified URL (host lower-cased, port dropped)
    {"msg:boundary_request#0", "/kind", "boundary"},
    {"msg:boundary_request#0", "/time", "2025-09-16T23:59:01.252989316Z"},  // event_time
    {"msg:boundary_request#0", "/action", "allow"},
    {"msg:boundary_request#0", "/logger", "coderd.agentrpc"},
    {"msg:boundary_request#0", "/actor", {{"username", "alice"}}},
    {"msg:boundary_request#0", "/workspace",
     {{"id", "c02d7594-55c5-43c0-8204-1ef19c710298"}, {"name", "dev"}, {"owner_username", "alice"}, {"agent_name", "main"}}},
    {"msg:boundary_request#0", "/template",
     {{"id", "5e6f7a8b-1c2d-4e3f-9a0b-1c2d3e4f5a6b"}, {"version_id", "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d"}}},
    {"msg:boundary_request#0", "/http",
     {{"method", "GET"},
      {"url", "https://Sum.Golang.org:443/lookup/github.com/modelcontextprotocol/go-sdk@v0.8.0"},
      {"host", "sum.golang.org"}}},
    {"msg:boundary_request#0", "/boundary", {{"decision", "allow"}, {"matched_rule", "method=GET,HEAD domain=sum.golang.org"}}},
    {"msg:boundary_request#0", "/fields", {{"trace", "c4d6a7aaf78a5c232a9fe76ee93f2c6a"}, {"span", "2def2b54ab24ce2f"}}},
    {"msg:boundary_request#0", "/request_id", "dfaf838f-37c7-4941-b5db-442ca000b797"},
    // a deny: no rule
    {"msg:boundary_request#1", "/action", "deny"},
    {"msg:boundary_request#1", "/boundary", {{"decision", "deny"}}},
    {"msg:boundary_request#1", "/http/host", "pastebin.com"},
    // the first releases: path-only URL (no host), no template, zero event_time (the line's time)
    {"msg:boundary_request#2", "/http", {{"method", "GET"}, {"url", "/lookup/github.com/coder/coder@v2.30.0"}}},
    {"msg:boundary_request#2", "/template", nullptr},
    {"msg:boundary_request#2", "/fields", nullptr},
};

void check_expectations(const std::vector<json>& events, const std::string& label, bool container = false) {
  int checked = 0;
  for (const auto& x : kExpect) {
    // The container samples hold a subset of the entries; message selectors count differently.
    if (container && x.select.rfind("msg:", 0) == 0) continue;
    const json* e = select(events, x.select);
    if (!e) {
      if (!container) ADD_FAILURE() << label << ": no event " << x.select;
      continue;
    }
    json::json_pointer p(x.pointer);
    if (x.value.is_null()) {
      EXPECT_FALSE(e->contains(p)) << label << " " << x.select << " " << x.pointer << " = " << e->value(p, json());
    } else {
      ASSERT_TRUE(e->contains(p)) << label << " " << x.select << " lacks " << x.pointer << "\n" << e->dump();
      EXPECT_EQ(e->at(p), x.value) << label << " " << x.select << " " << x.pointer;
    }
    ++checked;
  }
  if (!container) {
    EXPECT_GE(checked, 60);
  }
}

json without_source(json e) {
  e.erase("source");
  e.erase("observed_time");
  if (e["kind"] == "log" || e["kind"] == "boundary") e.erase("event_id");  // derived from the byte offset
  return e;
}

}  // namespace

TEST(Samples, EveryLineOfEveryFileNormalizes) {
  EXPECT_EQ(normalize_sample("coderd.json.log").size(), 48u);
  EXPECT_EQ(normalize_sample("coderd.human.log").size(), 49u);
  EXPECT_EQ(normalize_sample("container.cri.log").size(), 11u);
  EXPECT_EQ(normalize_sample("container.docker.log").size(), 6u);
  // The explicit formats agree with auto.
  EXPECT_EQ(normalize_sample("coderd.json.log", "slog_json").size(), 48u);
  EXPECT_EQ(normalize_sample("coderd.human.log", "slog_human").size(), 49u);
  EXPECT_EQ(normalize_sample("container.cri.log", "cri").size(), 11u);
  EXPECT_EQ(normalize_sample("container.docker.log", "docker").size(), 6u);
  for (const auto& e : normalize_sample("coderd.human.log")) {
    EXPECT_NE(e["source"]["format"], "raw") << e.dump();
    EXPECT_EQ(e["schema"], "audit/v1");
  }
}

TEST(Samples, JsonFieldByField) { check_expectations(normalize_sample("coderd.json.log"), "json"); }
TEST(Samples, HumanFieldByField) { check_expectations(normalize_sample("coderd.human.log"), "human"); }
TEST(Samples, CriFieldByField) { check_expectations(normalize_sample("container.cri.log"), "cri", true); }
TEST(Samples, DockerFieldByField) { check_expectations(normalize_sample("container.docker.log"), "docker", true); }

TEST(Samples, JsonAndHumanRenderingsAgree) {
  auto js = normalize_sample("coderd.json.log");
  auto hs = normalize_sample("coderd.human.log");
  std::erase_if(hs, [](const json& e) { return e["message"] == "job log"; });  // human-only DEBUG entry
  ASSERT_EQ(js.size(), hs.size());
  int compared = 0;
  for (size_t i = 0; i < js.size(); ++i) {
    json a = without_source(js[i]), b = without_source(hs[i]);
    if (a["kind"] == "log" || a["time"] != b["time"]) {
      // The human header has millisecond precision; the JSON ts has nanoseconds (log events, and
      // a boundary event without its own event_time).
      EXPECT_EQ(a["time"].get<std::string>().substr(0, 23), b["time"].get<std::string>().substr(0, 23));
      a.erase("time");
      b.erase("time");
    }
    if (b.value("error", "") == "{}") {
      // slog rc1 rendered this struct error as {}: the text is lost at the source.
      a.erase("error");
      b.erase("error");
    }
    EXPECT_EQ(a, b) << "entry " << i;
    ++compared;
  }
  EXPECT_EQ(compared, 48);
}

TEST(Samples, ContainerWrappersGiveTheSameEventsAsPlainJson) {
  auto js = normalize_sample("coderd.json.log");
  for (const char* file : {"container.cri.log", "container.docker.log"}) {
    auto cs = normalize_sample(file);
    for (const auto& c : cs) {
      const json* j = nullptr;
      for (const auto& e : js)
        if (e["time"] == c["time"] && e["message"] == c["message"]) j = &e;
      ASSERT_NE(j, nullptr) << file << ": " << c.dump();
      EXPECT_EQ(without_source(*j), without_source(c)) << file;
    }
  }
}

TEST(Samples, CriPartialLineIsJoined) {
  auto cs = normalize_sample("container.cri.log");
  const json* e = find_by_id(cs, "e5d8cae2-f3e5-4423-809c-82b0c7628838");
  ASSERT_NE(e, nullptr);
  EXPECT_EQ(e->at("source").at("format"), "slog_json");
  EXPECT_TRUE(e->contains("diff"));
}

// One Coder event read from the REST API and from the service log gives the same audit/v1
// event: every schema field agrees, apart from where it came from (`source`, `observed_time`),
// the API-only extras under `fields`, and (connection log) the request_id that only the service
// log's request context carries.
TEST(Samples, ApiRowsAndServiceLogLinesGiveTheSameEvents) {
  auto logged = normalize_sample("coderd.json.log");
  auto compare = [&](const std::string& file, const char* array_key, std::vector<std::string> skip) {
    auto rows = nlohmann::json::parse(slurp(sample_path(file)))[array_key];
    size_t matched = 0;
    for (const auto& row : rows) {
      auto api = normalize_text(row.dump() + "\n", "api");
      ASSERT_GE(api.size(), 1u);
      const nlohmann::json& a = api.front();
      EXPECT_EQ(a["source"]["format"], "api");
      const nlohmann::json* l = find_by_id(logged, a["event_id"].get<std::string>());
      if (!l) continue;  // not every row has a log line in the sample
      ++matched;
      // Leaf by leaf; a row without `ip` (the API omits an unknown one) cannot give actor.ip.
      auto fa = a.flatten(), fl = l->flatten();
      std::set<std::string> paths;
      for (const auto& [k, v] : fa.items()) paths.insert(k);
      for (const auto& [k, v] : fl.items()) paths.insert(k);
      for (const auto& path : paths) {
        std::string top = path.substr(1, path.find('/', 1) == std::string::npos ? std::string::npos : path.find('/', 1) - 1);
        if (top == "source" || top == "observed_time" || top == "fields" ||
            std::find(skip.begin(), skip.end(), top) != skip.end())
          continue;
        if (path == "/actor/ip" && !row.contains("ip") && !fa.contains(path)) continue;
        EXPECT_EQ(fa.value(path, nlohmann::json()), fl.value(path, nlohmann::json()))
            << file << " " << a["event_id"] << " " << path;
      }
    }
    EXPECT_GE(matched, 3u) << file;
  };
  compare("api.audit_logs.json", "audit_logs", {});
  compare("api.connection_logs.json", "connection_logs", {"request_id"});
}
