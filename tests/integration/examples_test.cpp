// Every YAML example a user may copy (README.md, docs/, config/ and the packaged configs) goes
// through `auditrelay validate` as written, and through a run on the bundled samples with each
// destination moved to loopback (a real HTTP server, a _bulk endpoint, librdkafka's mock cluster, a fake Coder
// API, files in a temporary directory). Each output must have events acknowledged: an example
// whose `match` routes nothing fails here.
#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "agent/config/agent_config.h"
#include "core/config/env_subst.h"
#include "agent/runtime.h"
#include "support/checkpoints.h"
#include "support/fake_coder.h"
#include "support/http_server.h"
#include "support/journal_files.h"
#include "support/es_bulk.h"
#include "support/kafka_mock.h"
#include "support/process.h"
#include "support/temp_dir.h"
#include "support/wait.h"

using namespace auditrelay;
using namespace auditrelay::test;
namespace fs = std::filesystem;

namespace {

const fs::path kRoot = fs::canonical(fs::path(AUDITRELAY_SAMPLES_DIR) / ".." / "..");
constexpr const char* kSecret = "example-secret";  // every ${VAR} and *_file an example names

struct Example {
  std::string where;  // file:line, for messages
  std::string yaml;
  bool helm_values = false;  // a values.yaml for the chart: its outputs are agent outputs
};

void PrintTo(const Example& e, std::ostream* os) {
  *os << e.where;
}

// ```yaml blocks and <<'YAML' heredocs (Helm values) of a Markdown page.
void collect_markdown(const fs::path& page, std::vector<Example>& out) {
  std::ifstream in(page);
  std::string line, block, rel = fs::relative(page, kRoot).string();
  int start = 0, n = 0;
  enum { None, Fenced, Heredoc } state = None;
  while (std::getline(in, line)) {
    ++n;
    if (state == None) {
      if (line.rfind("```yaml", 0) == 0)
        state = Fenced;
      else if (line.find("<<'YAML'") != std::string::npos)
        state = Heredoc;
      if (state != None) start = n, block.clear();
      continue;
    }
    if ((state == Fenced && line.rfind("```", 0) == 0) || (state == Heredoc && line == "YAML")) {
      out.push_back({rel + ":" + std::to_string(start), block, state == Heredoc});
      state = None;
      continue;
    }
    block += line + "\n";
  }
}

std::vector<Example> collect_examples() {
  std::vector<Example> out;
  std::vector<fs::path> pages = {kRoot / "README.md"};
  for (const auto* dir : {"docs", "config"})
    for (const auto& e : fs::recursive_directory_iterator(kRoot / dir))
      if (e.path().extension() == ".md") pages.push_back(e.path());
  std::sort(pages.begin(), pages.end());
  for (const auto& p : pages) collect_markdown(p, out);
  std::vector<fs::path> files = {kRoot / "packaging/deb/auditrelay.yaml",
                                 kRoot / "packaging/container/auditrelay.yaml"};
  for (const auto& e : fs::directory_iterator(kRoot / "config"))
    if (e.path().extension() == ".yaml") files.push_back(e.path());
  for (const auto& f : files) {
    std::stringstream ss;
    ss << std::ifstream(f).rdbuf();
    out.push_back({fs::relative(f, kRoot).string(), ss.str()});
  }
  return out;
}

// The names of the ${VAR}s an example uses.
std::set<std::string> variables_of(const std::string& yaml) {
  static const std::regex kVar(R"(\$\{([A-Za-z_][A-Za-z0-9_]*))");
  std::set<std::string> out;
  for (std::sregex_iterator it(yaml.begin(), yaml.end(), kVar), end; it != end; ++it)
    out.insert((*it)[1]);
  return out;
}

// Stand-ins for the files an example names, which validate reads: a secret (token_file, ...),
// and a self-signed certificate with its key for the TLS settings.
struct ExampleFiles {
  std::string secret, cert, key;
  explicit ExampleFiles(const TempDir& dir)
      : secret(dir / "secret"), cert(dir / "cert.pem"), key(dir / "key.pem") {
    std::ofstream(secret) << kSecret << "\n";
    std::string cmd =
        "openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=localhost -keyout " + key +
        " -out " + cert + " 2>/dev/null";
    EXPECT_EQ(std::system(cmd.c_str()), 0) << cmd;
  }
  const std::string& for_key(const std::string& key) const {
    if (key == "key_file" || key == "ssl.key.location") return this->key;
    if (key.ends_with(".location") || key == "ca_file" || key == "cert_file") return cert;
    return secret;
  }
};

// Every file an example names (token_file, tls.ca_file, ssl.ca.location, ...) becomes one here.
void point_files_at(YAML::Node node, const ExampleFiles& files) {
  if (node.IsMap()) {
    for (auto kv : node) {
      std::string key = kv.first.Scalar();
      bool names_file = key.ends_with("_file") || key.ends_with(".location");
      if (names_file && kv.second.IsScalar())
        node[key] = files.for_key(key);
      else
        point_files_at(kv.second, files);
    }
  } else if (node.IsSequence()) {
    for (auto item : node) point_files_at(item, files);
  }
}

struct Loopback {
  TestHttpServer http;
  TestHttpServer elasticsearch;
  EsBulkStore bulk;
  FakeCoder coder;
  MockCluster kafka{1};
  std::vector<std::string> sample_logs;
  TempDir journal;  // the JSON and human samples as coder.service entries

  Loopback() {
    coder.set_token(kSecret);
    elasticsearch.set_handler([this](const Recorded& r) { return bulk.answer(r); });
    std::vector<JournalLine> entries;
    for (const auto* name : {"coderd.json.log", "coderd.human.log"})
      for (const auto& line : read_lines(std::string(AUDITRELAY_SAMPLES_DIR) + "/" + name))
        entries.push_back(JournalLine{.message = line});
    EXPECT_TRUE(JournalWriter().write(journal.path(), "system.journal", entries));
    for (const auto& e : fs::directory_iterator(AUDITRELAY_SAMPLES_DIR))
      if (e.path().extension() == ".log") sample_logs.push_back(e.path().string());
    std::sort(sample_logs.begin(), sample_logs.end());
    auto page = [](const char* name, const char* key) {
      std::ifstream in(std::string(AUDITRELAY_SAMPLES_DIR) + "/" + name);
      return nlohmann::json::parse(in)[key];
    };
    for (const auto& row : page("api.audit_logs.json", "audit_logs")) coder.add_audit(row);
    for (const auto& row : page("api.connection_logs.json", "connection_logs"))
      coder.add_connection(row);
  }
  std::string http_url() const { return "http://127.0.0.1:" + std::to_string(http.port()); }
};

YAML::Node sample_input(const Loopback& lb) {
  YAML::Node in;
  in["name"] = "samples";
  in["type"] = "file";
  for (const auto& p : lb.sample_logs) in["paths"].push_back(p);
  return in;
}

// The example as it runs here: inputs read the samples or the fake Coder, outputs deliver to
// loopback. What routes and transforms events (match, drop, alerts, format) stays as written.
YAML::Node on_loopback(YAML::Node cfg, const Loopback& lb, const std::string& dir) {
  for (auto in : cfg["inputs"]) {
    std::string type = in["type"].as<std::string>("");
    if (type == "file") {
      in.remove("paths");
      for (const auto& p : lb.sample_logs) in["paths"].push_back(p);
    } else if (type == "journald") {
      in["directory"] = lb.journal.path();
      in.remove("read_from");
    } else if (type == "coder_api") {
      in["url"] = lb.coder.url();
      in.remove("tls");
    } else {
      ADD_FAILURE() << "no loopback for input type " << type << ": teach this test";
    }
  }
  for (auto out : cfg["outputs"]) {
    std::string type = out["type"].as<std::string>("");
    if (type == "file") {
      out["path"] = dir + "/out/" + out["name"].as<std::string>(type) + ".ndjson";
    } else if (type == "http" || type == "splunk_hec" || type == "otlp") {
      out["url"] = lb.http_url();
      out.remove("tls");
    } else if (type == "elasticsearch") {
      out["url"] = lb.elasticsearch.url();
      out.remove("tls");
    } else if (type == "kafka") {
      out["brokers"] = YAML::Node(YAML::NodeType::Sequence);
      out["brokers"].push_back(lb.kafka.bootstraps());
      YAML::Node props(YAML::NodeType::Map);
      for (auto kv : out["librdkafka"]) {
        std::string key = kv.first.Scalar();
        if (!key.starts_with("security.") && !key.starts_with("sasl.") && !key.starts_with("ssl."))
          props[key] = kv.second;
      }
      out["librdkafka"] = props;
    } else if (type != "stdout") {
      ADD_FAILURE() << "no loopback for output type " << type << ": teach this test";
    }
  }
  cfg["data_dir"] = dir + "/data";
  cfg.remove("server");  // the examples' ports may be taken here
  return cfg;
}

std::string write_config(const std::string& path, const YAML::Node& cfg) {
  std::ofstream(path) << YAML::Dump(cfg) << "\n";
  return path;
}

class Examples : public ::testing::TestWithParam<Example> {};

TEST_P(Examples, ValidatesAndEveryOutputGetsEventsFromTheSamples) {
  const Example& ex = GetParam();
  TempDir dir;
  ExampleFiles files(dir);
  for (const auto& v : variables_of(ex.yaml)) ::setenv(v.c_str(), kSecret, 1);

  YAML::Node cfg = YAML::Load(ex.yaml);
  if (ex.helm_values) {
    // The chart writes its values' outputs under a DaemonSet input (templates/_helpers.tpl).
    YAML::Node agent;
    agent["outputs"] = cfg["outputs"];
    cfg = agent;
  }
  Loopback lb;
  // As written, with the files it names moved here and what a fragment leaves out (inputs: the
  // samples; outputs: a file) filled in: the real `validate` command must accept it.
  cfg = YAML::Clone(cfg);
  point_files_at(cfg, files);
  if (cfg["data_dir"]) cfg["data_dir"] = dir / "validate-data";
  if (!cfg["inputs"]) cfg["inputs"].push_back(sample_input(lb));
  if (!cfg["outputs"]) {
    YAML::Node out;
    out["name"] = "example_output";
    out["type"] = "file";
    out["path"] = dir / "out/example_output.ndjson";
    cfg["outputs"].push_back(out);
  }
  std::string as_written = write_config(dir / "as-written.yaml", cfg);
  Child c = spawn({AUDITRELAY_BINARY, "validate", "--config", as_written}, dir / "validate.out",
                  dir / "validate.err");
  EXPECT_EQ(c.wait(), 0) << ex.where << ":\n" << slurp(dir / "validate.err");

  YAML::Node run = on_loopback(YAML::Clone(cfg), lb, dir.path());
  std::string path = write_config(dir / "run.yaml", run);
  AgentConfig agent;
  Diagnostics diags(ex.where);
  ASSERT_TRUE(load_config_file(path, process_env(), agent, diags))
      << ex.where << " (as run here):\n"
      << diags.to_string() << YAML::Dump(run);

  Runtime rt(agent);
  std::string err;
  ASSERT_TRUE(rt.start(err)) << ex.where << ": " << err;
  auto sent = [&](const PluginConfig& o) {
    return rt.metrics().value("auditrelay_output_events_sent_total", "output=\"" + o.name + "\"");
  };
  auto every_output_sent = [&] {
    return std::all_of(agent.outputs.begin(), agent.outputs.end(),
                       [&](const PluginConfig& o) { return sent(o) > 0; });
  };
  // Either every output got events, or every sample line has been read and acknowledged (then
  // an output with none never gets any).
  ASSERT_TRUE(wait_until([&] {
    return every_output_sent() || saved_at_end(dir / "data", lb.sample_logs);
  })) << ex.where;
  for (const auto& o : agent.outputs)
    EXPECT_GT(sent(o), 0u) << ex.where << ": output '" << o.name
                           << "' receives none of the bundled sample events";
  rt.stop();
}

std::string name_of(const ::testing::TestParamInfo<Example>& info) {
  std::string n;
  for (char c : info.param.where) n += std::isalnum(static_cast<unsigned char>(c)) ? c : '_';
  return n;
}

INSTANTIATE_TEST_SUITE_P(Docs, Examples, ::testing::ValuesIn(collect_examples()), name_of);

TEST(Examples, AreFoundInTheDocs) {
  // A change to how examples are written must not make this suite test nothing.
  auto all = collect_examples();
  EXPECT_GE(all.size(), 10u);
  EXPECT_TRUE(std::any_of(all.begin(), all.end(), [](const Example& e) { return e.helm_values; }));
}

}  // namespace
