// The coder_api input against a Coder REST API on loopback (tests/support/fake_coder.h):
// backfill exactly once while new rows arrive, kill -9 mid-backfill, connection rows whose
// disconnect is filled in later, token and licence errors, malformed answers and rows.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <cstdio>
#include <map>
#include <set>

#include "core/common/uuid.h"
#include "agent/config/agent_config.h"
#include "agent/runtime.h"
#include "support/fake_coder.h"
#include "support/process.h"
#include "support/temp_dir.h"
#include "support/wait.h"

using namespace auditrelay;
using namespace auditrelay::test;
using nlohmann::json;

namespace {

constexpr int64_t k2025 = 1735689600;  // 2025-01-01T00:00:00Z

std::string rfc3339(int64_t secs, uint32_t micros = 0) {
  return format_rfc3339(Timestamp{secs, micros * 1000, 6});
}

std::string uuid_of(const char* prefix, int i) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%s-0000-4000-8000-%012d", prefix, i);
  return buf;
}

json audit_row(int i, int64_t secs) {
  return json{{"id", uuid_of("a0000000", i)},
              {"request_id", uuid_of("b0000000", i)},
              {"time", rfc3339(secs, static_cast<uint32_t>(i % 1000))},
              {"ip", "10.0.0.1"},
              {"user_agent", "coder-cli"},
              {"resource_type", "workspace"},
              {"resource_id", uuid_of("c0000000", i % 50)},
              {"resource_target", "ws-" + std::to_string(i % 50)},
              {"resource_icon", ""},
              {"action", "write"},
              {"diff", json::object()},
              {"status_code", 200},
              {"additional_fields", json::object()},
              {"description", "{user} updated workspace {target}"},
              {"organization_id", "33187a44-c2da-42b5-b447-041287015d41"},
              {"user", {{"id", "e5733471-0f4e-411f-8c77-7fe2151579c0"}, {"username", "alice"}, {"email", "alice@example.com"}}}};
}

json ssh_row(const std::string& id, int64_t connect_secs) {
  return json{{"id", id},
              {"connect_time", rfc3339(connect_secs)},
              {"organization", {{"id", "33187a44-c2da-42b5-b447-041287015d41"}, {"name", "coder"}}},
              {"workspace_owner_id", "a1216d5e-8ae8-4ee0-80fe-de5b9ad7a136"},
              {"workspace_owner_username", "alice"},
              {"workspace_id", "c02d7594-55c5-43c0-8204-1ef19c710298"},
              {"workspace_name", "dev"},
              {"agent_name", "main"},
              {"ip", "fd7a:115c:a1e0::1"},
              {"type", "ssh"},
              {"ssh_info", {{"connection_id", uuid_of("d0000000", 1)}}}};
}

int64_t now_secs() { return now_timestamp().seconds; }

struct Agent {
  TempDir dir;
  AgentConfig cfg;
  std::unique_ptr<Runtime> rt;
  explicit Agent(const std::string& input_yaml, const std::string& output_extra = "") {
    Diagnostics d("t");
    std::string yaml = "data_dir: " + dir / "data" + "\ninputs:\n" + input_yaml + "outputs:\n  - {type: file, path: " +
                       dir / "out.ndjson" + ", batch: {max_delay: 20ms" + output_extra + "}}\n";
    EXPECT_TRUE(load_config_text(yaml, "t", process_env(), cfg, d)) << d.to_string();
    rt = std::make_unique<Runtime>(cfg);
    std::string err;
    EXPECT_TRUE(rt->start(err)) << err;
  }
  ~Agent() { rt->stop(); }
  std::vector<json> events() {
    std::vector<json> out;
    for (const auto& l : read_lines(dir / "out.ndjson")) out.push_back(json::parse(l));
    return out;
  }
  uint64_t metric(const std::string& name, const std::string& stream) {
    return rt->metrics().value(name, "input=\"api\",stream=\"" + stream + "\"");
  }
};

std::string input_yaml(const FakeCoder& coder, const std::string& extra) {
  return "  - {name: api, type: coder_api, url: \"" + coder.url() + "\", token: secret-token, interval: 100ms" + extra +
         "}\n";
}

}  // namespace

TEST(CoderApi, BackfillShipsEveryEventOnceWhileNewOnesArrive) {
  FakeCoder coder;
  const int n = 5000;
  for (int i = 0; i < n; ++i) coder.add_audit(audit_row(i, k2025 + i * 86));  // five days
  // New rows land on top while the agent pages (shifting every offset).
  int added = 0;
  coder.on_request([&](bool, int&, std::string&) {
    if (added < 30) {
      ++added;
      coder.add_audit_locked(audit_row(100000 + added, now_secs()));
    }
    return false;
  });
  Agent agent(input_yaml(coder, ", streams: [audit], backfill_from: \"2025-01-01\""));
  ASSERT_TRUE(wait_until([&] { return agent.events().size() >= static_cast<size_t>(n + 30); }))
      << agent.events().size() << " events";
  // A few more polls: nothing is sent again.
  size_t requests = coder.requests();
  ASSERT_TRUE(wait_until([&] { return coder.requests() >= requests + 5; }));
  auto events = agent.events();
  std::set<std::string> ids;
  for (const auto& e : events) {
    ids.insert(e["event_id"].get<std::string>());
    EXPECT_EQ(e["kind"], "audit");
    EXPECT_EQ(e["source"]["type"], "coder_api");
    EXPECT_EQ(e["source"]["format"], "api");
    EXPECT_FALSE(e["source"].contains("offset"));
  }
  EXPECT_EQ(ids.size(), static_cast<size_t>(n + 30));
  EXPECT_EQ(events.size(), ids.size()) << "duplicates";
  // Delivered oldest first, and the backfill walked one day at a time.
  EXPECT_EQ(events.front()["event_id"], uuid_of("a0000000", 0));
  auto q = coder.queries();
  EXPECT_NE(std::find(q.begin(), q.end(), "date_from:2025-01-02 date_to:2025-01-02"), q.end());
  EXPECT_GE(agent.metric("auditrelay_coder_api_pages_total", "audit"), 50u);
  EXPECT_GE(agent.metric("auditrelay_coder_api_events_total", "audit"), static_cast<uint64_t>(n + 30));
}

TEST(CoderApi, RestartMidBackfillResumesWithoutLossAndAtMostOnePageAgain) {
  FakeCoder coder;
  const int n = 5000;
  for (int i = 0; i < n; ++i) coder.add_audit(audit_row(i, k2025 + i * 86));
  TempDir dir;
  write_text(dir / "cfg.yaml", "data_dir: " + dir / "data" + "\ninputs:\n" +
                                   input_yaml(coder, ", streams: [audit], backfill_from: \"2025-01-01\"") +
                                   "outputs:\n  - {type: file, path: " + dir / "out.ndjson" +
                                   ", batch: {max_events: 100, max_delay: 20ms}}\n");
  auto delivered = [&] {
    std::map<std::string, int> seen;
    for (const auto& l : read_lines(dir / "out.ndjson")) {
      json e = json::parse(l, nullptr, false);
      if (!e.is_discarded()) ++seen[e["event_id"].get<std::string>()];
    }
    return seen;
  };
  {
    Child c = spawn({AUDITRELAY_BINARY, "run", "--config", dir / "cfg.yaml"}, dir / "stdout", dir / "stderr1");
    ASSERT_TRUE(wait_until([&] { return count_lines(dir / "out.ndjson") >= 1500; })) << slurp(dir / "stderr1");
    c.signal(SIGKILL);
    c.wait();
  }
  Child c = spawn({AUDITRELAY_BINARY, "run", "--config", dir / "cfg.yaml"}, dir / "stdout", dir / "stderr2");
  ASSERT_TRUE(wait_until([&] { return delivered().size() >= static_cast<size_t>(n); })) << slurp(dir / "stderr2");
  c.signal(SIGTERM);
  EXPECT_EQ(c.wait_for(std::chrono::seconds(60)), 0);
  auto seen = delivered();
  EXPECT_EQ(seen.size(), static_cast<size_t>(n));
  int duplicates = 0;
  for (const auto& [id, times] : seen) duplicates += times - 1;
  EXPECT_LE(duplicates, 100) << "more than one page sent again";
}

TEST(CoderApi, DisconnectFilledInLaterIsItsOwnEvent) {
  FakeCoder coder;
  int64_t now = now_secs();
  const std::string early = "11111111-2222-4333-8444-555555555555", late = "66666666-2222-4333-8444-555555555555";
  coder.add_connection(ssh_row(early, now - 3600));  // open for an hour already
  json web = ssh_row("77777777-2222-4333-8444-555555555555", now - 20);
  web.erase("ssh_info");
  web["type"] = "workspace_app";
  web["web_info"] = {{"user_agent", "Mozilla/5.0"}, {"user", {{"id", "u-1"}, {"username", "alice"}}}, {"slug_or_port", "code-server"}, {"status_code", 200}};
  coder.add_connection(web);
  Agent agent(input_yaml(coder, ", streams: [connection], backfill_from: 2h"));
  ASSERT_TRUE(wait_until([&] { return agent.events().size() >= 2; }));
  // A newer session moves the watermark past the early one, which is still open.
  coder.add_connection(ssh_row(late, now - 5));
  ASSERT_TRUE(wait_until([&] { return agent.events().size() >= 3; }));
  coder.update_connection(early, [&](json& r) {
    r["ssh_info"]["disconnect_time"] = rfc3339(now, 250000);
    r["ssh_info"]["disconnect_reason"] = "session closed by client";
    r["ssh_info"]["exit_code"] = 0;
  });
  ASSERT_TRUE(wait_until([&] { return agent.events().size() >= 4; }));
  size_t requests = coder.requests();
  ASSERT_TRUE(wait_until([&] { return coder.requests() >= requests + 6; }));
  auto events = agent.events();
  ASSERT_EQ(events.size(), 4u) << "a row was sent twice";
  std::map<std::string, json> by_action;
  for (const auto& e : events) by_action[e["action"].get<std::string>() + ":" + e["event_id"].get<std::string>()] = e;
  Uuid row_id;
  ASSERT_TRUE(parse_uuid(early, row_id));
  std::string disconnect_id = format_uuid(uuid_v5(row_id, "disconnect"));
  ASSERT_TRUE(by_action.count("connect:" + early));
  ASSERT_TRUE(by_action.count("open:77777777-2222-4333-8444-555555555555"));
  ASSERT_TRUE(by_action.count("disconnect:" + disconnect_id));
  const json& d = by_action["disconnect:" + disconnect_id];
  EXPECT_EQ(d["status_code"], 0);
  EXPECT_EQ(d["connection"]["disconnect_reason"], "session closed by client");
  EXPECT_EQ(d["connection"]["status"], "disconnected");
  EXPECT_EQ(d["time"], rfc3339(now, 250000));
  EXPECT_EQ(d["resource"]["target"], "dev.main");
  const json& w = by_action["open:77777777-2222-4333-8444-555555555555"];
  EXPECT_EQ(w["status_code"], 200);
  EXPECT_EQ(w["actor"]["id"], "u-1");
  EXPECT_EQ(w["resource"]["type"], "workspace_app");
}

TEST(CoderApi, TokenAndLicenceErrorsStopTheStreamWithOneLineThenRecover) {
  FakeCoder coder;
  coder.set_token("another-token");
  coder.set_premium(false);
  for (int i = 0; i < 10; ++i) coder.add_audit(audit_row(i, now_secs() - 10));
  TempDir dir;
  write_text(dir / "cfg.yaml", "data_dir: " + dir / "data" + "\ninputs:\n" +
                                   input_yaml(coder, ", auth_retry: 200ms") + "outputs:\n  - {type: file, path: " +
                                   dir / "out.ndjson" + ", batch: {max_delay: 20ms}}\n");
  Child c = spawn({AUDITRELAY_BINARY, "run", "--config", dir / "cfg.yaml"}, dir / "stdout", dir / "stderr");
  ASSERT_TRUE(wait_until([&] { return coder.requests() >= 8; }));
  coder.set_token("secret-token");  // the operator fixes the secret
  ASSERT_TRUE(wait_until([&] { return count_lines(dir / "out.ndjson") >= 10; })) << slurp(dir / "stderr");
  ASSERT_TRUE(wait_until([&] { return slurp(dir / "stderr").find("connectionlog answered 403") != std::string::npos; }));
  size_t requests = coder.requests();
  ASSERT_TRUE(wait_until([&] { return coder.requests() >= requests + 4; }));  // more retries, no more lines
  c.signal(SIGTERM);
  EXPECT_EQ(c.wait_for(std::chrono::seconds(60)), 0);
  std::string err = slurp(dir / "stderr");
  auto count = [&](const std::string& s) {
    size_t k = 0;
    for (size_t p = err.find(s); p != std::string::npos; p = err.find(s, p + 1)) ++k;
    return k;
  };
  EXPECT_EQ(count("/api/v2/audit answered 401"), 1u) << err;
  EXPECT_EQ(count("/api/v2/connectionlog answered 401"), 1u) << err;
  // After the token was fixed the connection log still has no licence: one clear line for that.
  EXPECT_EQ(count("/api/v2/connectionlog answered 403"), 1u) << err;
  EXPECT_NE(err.find("Premium"), std::string::npos);
}

TEST(CoderApi, MalformedAnswersAreRetriedAndMalformedRowsSkipped) {
  FakeCoder coder;
  for (int i = 0; i < 20; ++i) coder.add_audit(audit_row(i, now_secs() - 30 + i));
  coder.add_audit(json{{"time", rfc3339(now_secs() - 1)}, {"action", "write"}, {"resource_type", "user"}});  // no id
  int broken = 0;
  coder.on_request([&](bool, int& status, std::string& body) {
    if (broken >= 3) return false;
    ++broken;
    status = 200;
    body = broken == 2 ? R"({"audit_logs": "not a list"})" : "<html>502 Bad Gateway</html>";
    return true;
  });
  Agent agent(input_yaml(coder, ", streams: [audit], backfill_from: 1h"));
  ASSERT_TRUE(wait_until([&] { return agent.events().size() >= 20; }));
  size_t requests = coder.requests();
  ASSERT_TRUE(wait_until([&] { return coder.requests() >= requests + 3; }));
  EXPECT_EQ(agent.events().size(), 20u);
  EXPECT_GE(agent.metric("auditrelay_coder_api_errors_total", "audit"), 3u);
  EXPECT_GE(agent.metric("auditrelay_coder_api_malformed_rows_total", "audit"), 1u);
}

TEST(CoderApi, BadOptionsAreConfigErrors) {
  Diagnostics d("t");
  AgentConfig cfg;
  EXPECT_FALSE(load_config_text(
      "inputs: [{type: coder_api, url: \"ftp://x\", token: t, streams: [audit, builds], backfill_from: yesterday}]\n"
      "outputs: [{type: stdout}]\n",
      "t", process_env(), cfg, d));
  std::string s = d.to_string();
  EXPECT_NE(s.find("inputs[0].url"), std::string::npos) << s;
  EXPECT_NE(s.find("unknown stream \"builds\""), std::string::npos) << s;
  EXPECT_NE(s.find("inputs[0].backfill_from"), std::string::npos) << s;
}

TEST(CoderApi, SessionsOpenLongerThanTheMaxAgeAreNoLongerReRead) {
  FakeCoder coder;
  int64_t now = now_secs();
  coder.add_connection(ssh_row("11111111-2222-4333-8444-555555555555", now - 7200));  // open for 2 h
  Agent agent(input_yaml(coder, ", streams: [connection], backfill_from: 3h, session_max_age: 1h"));
  ASSERT_TRUE(wait_until([&] { return agent.events().size() >= 1; }));
  size_t requests = coder.requests();
  ASSERT_TRUE(wait_until([&] { return coder.requests() >= requests + 4; }));
  // The first poll delivered the connect; the following ones forgot the session instead of
  // re-reading every completed session since it began.
  auto q = coder.queries();
  size_t rereads = 0;
  for (size_t i = q.size() - 3; i < q.size(); ++i) rereads += q[i].find("status:completed") != std::string::npos;
  EXPECT_EQ(rereads, 0u);
  EXPECT_EQ(agent.events().size(), 1u);
}
