// `auditrelay top --once` against a running agent: every input and output with its rates, and
// an output in trouble listed first with what is wrong.
#include <gtest/gtest.h>

#include <atomic>
#include <map>
#include <sstream>
#include <thread>

#include "support/http_server.h"
#include "support/process.h"
#include "support/runtime_agent.h"

using namespace auditrelay;
using namespace auditrelay::test;

namespace {

std::vector<std::string> table_rows(const std::string& table) {
  std::vector<std::string> rows;
  std::istringstream in(table);
  bool header_seen = false;
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("KIND", 0) == 0)
      header_seen = true;
    else if (header_seen && !line.empty())
      rows.push_back(line);
  }
  return rows;
}

// The whitespace-separated columns of a row.
std::vector<std::string> columns(const std::string& row) {
  std::istringstream in(row);
  std::vector<std::string> out;
  for (std::string c; in >> c;) out.push_back(c);
  return out;
}

}  // namespace

TEST(Top, OncePrintsEveryInputAndOutputWithRatesTroubleFirst) {
  TestHttpServer refusing;  // answers 503: the output "collector" keeps failing
  refusing.set_handler([](const Recorded&) {
    Scripted busy;
    busy.status = 503;
    return busy;
  });
  Agent agent(R"(inputs:
  - {name: coderd, type: file, paths: ["$DIR/in/*.log"], format: slog_json, poll_interval: 10ms}
  - {name: provisioners, type: file, paths: ["$DIR/in/*.prov"], format: slog_json}
outputs:
  - {name: archive, type: file, path: "$DIR/out.ndjson", batch: {max_delay: 10ms}}
  - {name: collector, type: http, url: "http://127.0.0.1:)" +
              std::to_string(refusing.port()) + R"(/", retry: {initial: 10ms, max: 50ms},
     buffer: {type: disk, max_size: 64MiB}}
pipeline: {shutdown_timeout: 1s}
)");
  // Lines keep coming while top measures, so the input's rate is above 0.
  std::atomic<bool> writing{true};
  std::thread writer([&] {
    for (int i = 0; writing.load(); ++i) {
      write_text(agent.dir / "in/a.log",
                 R"({"ts":"2025-09-16T12:00:00Z","level":"INFO","msg":"m","fields":{"i":)" +
                     std::to_string(i) + "}}\n",
                 true);
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
  });
  ASSERT_TRUE(wait_until([&] {
    return agent.rt->metrics().value("auditrelay_output_send_failures_total",
                                     "output=\"collector\"") > 0 &&
           agent.rt->metrics().value("auditrelay_output_events_sent_total", "output=\"archive\"") >
               0;
  }));
  TempDir out;
  Child top = spawn({AUDITRELAY_BINARY, "top", "--once", "--interval", "0.5", "--url",
                     "http://127.0.0.1:" + std::to_string(agent.rt->server_port())},
                    out / "top.out", out / "top.err");
  int status = top.wait_for(std::chrono::seconds(60));
  writing = false;
  writer.join();
  ASSERT_EQ(status, 0) << slurp(out / "top.err");
  std::string table = slurp(out / "top.out");
  std::vector<std::string> rows = table_rows(table);
  ASSERT_EQ(rows.size(), 4u) << table;
  // Trouble first: the failing output, with its failures per second and its disk buffer.
  std::vector<std::string> first = columns(rows[0]);
  EXPECT_EQ(first[0], "output") << table;
  EXPECT_EQ(first[1], "collector") << table;
  EXPECT_GT(std::stod(first[5]), 0) << table;  // FAILED/S
  EXPECT_NE(rows[0].find("failing"), std::string::npos) << table;
  EXPECT_NE(rows[0].find("buffer"), std::string::npos) << table;
  std::map<std::string, std::vector<std::string>> by_name;
  for (const auto& r : rows) by_name[columns(r)[1]] = columns(r);
  ASSERT_EQ(by_name.size(), 4u) << table;
  EXPECT_GT(std::stod(by_name["coderd"][2]), 0) << table;   // events/s read
  EXPECT_EQ(by_name["provisioners"][2], "0") << table;      // nothing to read there
  EXPECT_GT(std::stod(by_name["archive"][2]), 0) << table;  // events/s delivered
  EXPECT_NE(table.find("in flight"), std::string::npos);
  EXPECT_NE(table.find("of 4.0 MiB"), std::string::npos) << table;  // the budget
}

TEST(Top, SaysWhenNoAgentAnswers) {
  TempDir out;
  Child top = spawn({AUDITRELAY_BINARY, "top", "--once", "--url", "http://127.0.0.1:1"},
                    out / "top.out", out / "top.err");
  EXPECT_EQ(top.wait_for(std::chrono::seconds(60)), 1);
  EXPECT_NE(slurp(out / "top.err").find("cannot connect"), std::string::npos);
}
