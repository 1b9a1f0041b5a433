#pragma once
// The agent in the test's process (a Runtime on a config written inline), with its server on a
// free loopback port: $DIR in the config is a fresh temporary directory holding in/a.log.
#include <gtest/gtest.h>
#include <httplib.h>

#include <filesystem>
#include <memory>
#include <string>

#include "agent/config/agent_config.h"
#include "agent/runtime.h"
#include "support/temp_dir.h"
#include "support/wait.h"

namespace auditrelay::test {

struct Agent {
  TempDir dir;
  AgentConfig cfg;
  std::unique_ptr<Runtime> rt;
  // body: the config's inputs and outputs; server: the server section (flow style).
  explicit Agent(
      const std::string& body,
      const std::string& server = "{listen: \"127.0.0.1:0\", ready_failure_window: 1s}") {
    std::filesystem::create_directories(dir / "in");
    write_text(dir / "in/a.log", "");
    Diagnostics d("t");
    std::string yaml = "data_dir: " + dir / "data" + "\nserver: " + server + "\n" + body;
    for (size_t p = yaml.find("$DIR"); p != std::string::npos; p = yaml.find("$DIR"))
      yaml.replace(p, 4, dir.path());
    EXPECT_TRUE(load_config_text(yaml, "t", process_env(), cfg, d)) << d.to_string();
    rt = std::make_unique<Runtime>(cfg);
    std::string err;
    EXPECT_TRUE(rt->start(err)) << err;
  }
  ~Agent() { rt->stop(); }
  httplib::Result get(const std::string& path) {
    httplib::Client c("127.0.0.1", rt->server_port());
    return c.Get(path.c_str());
  }
  int status(const std::string& path) {
    auto r = get(path);
    return r ? r->status : -1;
  }
  // Waits until /readyz answers 503 and returns why ("" when it never did).
  std::string unready_reasons() {
    std::string body;
    wait_until([&] {
      auto r = get("/readyz");
      if (r && r->status == 503) body = r->body;
      return !body.empty();
    });
    return body;
  }
};

}  // namespace auditrelay::test
