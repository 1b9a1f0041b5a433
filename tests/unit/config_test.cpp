#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <map>

#include "agent/config/agent_config.h"
#include "core/config/env_subst.h"
#include "support/temp_dir.h"

using namespace auditrelay;
using auditrelay::test::TempDir;
using auditrelay::test::write_text;
using ::testing::HasSubstr;

namespace {

EnvLookup env_of(std::map<std::string, std::string> vars) {
  return [vars](const std::string& k) -> std::optional<std::string> {
    auto it = vars.find(k);
    if (it == vars.end()) return std::nullopt;
    return it->second;
  };
}

std::string errors(const std::string& text, std::map<std::string, std::string> vars = {}) {
  AgentConfig cfg;
  Diagnostics d("test.yaml");
  load_config_text(text, "test.yaml", env_of(vars), cfg, d);
  return d.to_string();
}

const char* kMinimal = R"(data_dir: /tmp/x
inputs:
  - name: coderd
    type: file
    paths: ["/var/log/coder/*.log"]
outputs:
  - type: stdout
)";

}  // namespace

TEST(EnvSubst, ReplacesDefaultsAndRequired) {
  Diagnostics d("f");
  auto env = env_of({{"A", "alpha"}, {"EMPTY", ""}});
  EXPECT_EQ(substitute_env("x: ${A}", env, d), "x: alpha");
  EXPECT_EQ(substitute_env("x: ${B:-beta}", env, d), "x: beta");
  EXPECT_EQ(substitute_env("x: ${EMPTY:-dflt}", env, d), "x: dflt");
  EXPECT_EQ(substitute_env("x: $${A}", env, d), "x: ${A}");
  EXPECT_TRUE(d.ok());
  substitute_env("a: 1\nb: ${MISSING}\nc: ${NEED:?set the token}", env, d);
  ASSERT_EQ(d.items().size(), 2u);
  EXPECT_EQ(d.items()[0].line, 2);
  EXPECT_THAT(d.items()[0].message, HasSubstr("MISSING is not set"));
  EXPECT_EQ(d.items()[1].line, 3);
  EXPECT_THAT(d.items()[1].message, HasSubstr("set the token"));
}

TEST(EnvSubst, CommentsAreLeftAloneButHashesInValuesAreNot) {
  Diagnostics d("f");
  auto env = env_of({{"A", "alpha"}});
  // A commented-out example needs no variable; a '#' inside a quoted value or a word is no comment.
  EXPECT_EQ(substitute_env("# token: ${UNSET}\nx: ${A} # ${UNSET}", env, d),
            "# token: ${UNSET}\nx: alpha # ${UNSET}");
  EXPECT_EQ(substitute_env("x: \"a # ${A}\"\ny: 'b # ${A}'\nz: c#${A}", env, d),
            "x: \"a # alpha\"\ny: 'b # alpha'\nz: c#alpha");
  EXPECT_EQ(substitute_env("x: don't ${A}", env, d), "x: don't alpha");
  EXPECT_TRUE(d.ok()) << d.to_string();
  substitute_env("# ok\ny: ${UNSET}", env, d);
  ASSERT_EQ(d.items().size(), 1u);
  EXPECT_EQ(d.items()[0].line, 2);
}

TEST(Config, MinimalLoadsWithDefaults) {
  AgentConfig cfg;
  Diagnostics d("test.yaml");
  ASSERT_TRUE(load_config_text(kMinimal, "test.yaml", env_of({}), cfg, d)) << d.to_string();
  EXPECT_EQ(cfg.data_dir, "/tmp/x");
  EXPECT_EQ(cfg.pipeline.integer("workers"), 2);
  EXPECT_EQ(cfg.pipeline.size("max_in_flight"), 4u << 20);
  EXPECT_EQ(cfg.pipeline.duration("shutdown_timeout").count(), 10000);
  ASSERT_EQ(cfg.inputs.size(), 1u);
  EXPECT_EQ(cfg.inputs[0].name, "coderd");
  EXPECT_EQ(cfg.inputs[0].options.str("format"), "auto");
  EXPECT_EQ(cfg.outputs[0].name, "stdout");
  EXPECT_EQ(cfg.outputs[0].common.object("batch").integer("max_events"), 1000);
  EXPECT_EQ(cfg.transforms.list("redact").size(), 9u);
}

TEST(Config, UnknownKeySuggestsAndGivesLine) {
  std::string e = errors(std::string(kMinimal) + "pipline:\n  workers: 3\n");
  EXPECT_THAT(e,
              HasSubstr("test.yaml:8: pipline: unknown key 'pipline' (did you mean 'pipeline'?)"));
  e = errors(R"(inputs:
  - type: file
    paths: [/a]
    fromat: slog_json
outputs:
  - type: stdout
)");
  EXPECT_THAT(e, HasSubstr("test.yaml:4: inputs[0].fromat: unknown key 'fromat' for input type "
                           "'file' (did you mean 'format'?)"));
}

TEST(Config, AMatchListReportsEachBadQueryOnItsOwnLine) {
  std::string e = errors(R"(inputs:
  - {type: file, paths: [/a]}
outputs:
  - type: stdout
    match:
      - "kind:audit"
      - "kind:nonsense"
      - {kind: audit}
)");
  EXPECT_THAT(e, HasSubstr("test.yaml:7: outputs[0].match[1]: invalid filter query"));
  EXPECT_THAT(e, HasSubstr("test.yaml:8: outputs[0].match[2]: expected a string"));
  EXPECT_THAT(e, ::testing::Not(HasSubstr("match[0]")));
  AgentConfig cfg;
  Diagnostics diags("test.yaml");
  ASSERT_TRUE(
      load_config_text("inputs: [{type: file, paths: [/a]}]\n"
                       "outputs: [{type: stdout, match: [\"kind:audit\", \"alert:true\"]}]\n",
                       "test.yaml", env_of({}), cfg, diags))
      << diags.to_string();
  EXPECT_EQ(cfg.outputs[0].common.list("match"),
            (std::vector<std::string>{"kind:audit", "alert:true"}));
}

TEST(Config, EveryProblemIsReportedAtOnce) {
  std::string e = errors(R"(pipeline:
  workers: many
  max_in_flight: lots
  shutdown_timeout: forever
inputs:
  - type: fiel
    paths: [/a]
outputs:
  - type: stdout
    match: "kind:audit bogus:1"
  - type: file
transforms:
  drop: ["severity:loud"]
  alerts:
    disable: [autostart_fail]
)");
  EXPECT_THAT(e, HasSubstr("test.yaml:2: pipeline.workers: expected an integer, got 'many'"));
  EXPECT_THAT(e, HasSubstr("test.yaml:3: pipeline.max_in_flight: expected a size"));
  EXPECT_THAT(e, HasSubstr("test.yaml:4: pipeline.shutdown_timeout: expected a duration"));
  EXPECT_THAT(
      e,
      HasSubstr("test.yaml:6: inputs[0].type: unknown input type 'fiel' (did you mean 'file'?)"));
  EXPECT_THAT(e, HasSubstr("outputs[0].match: invalid filter query: Query param \"bogus\" is not a "
                           "valid query param"));
  EXPECT_THAT(e, HasSubstr("outputs[1].path: required option is missing"));
  EXPECT_THAT(e, HasSubstr("test.yaml:13: transforms.drop[0]: invalid filter query: Query param "
                           "\"severity\" has invalid value"));
  EXPECT_THAT(
      e,
      HasSubstr("unknown built-in alert rule 'autostart_fail' (did you mean 'autostart_failed'?)"));
}

TEST(Config, SyntaxErrorHasLine) {
  std::string e = errors("inputs:\n  - type: file\n    paths: [unclosed\noutputs: []\n");
  EXPECT_THAT(e, HasSubstr("YAML syntax error"));
  EXPECT_THAT(e, HasSubstr("test.yaml:"));
}

TEST(Config, MissingSectionsAndEmptyFile) {
  EXPECT_THAT(errors(""), HasSubstr("the config is empty"));
  std::string e = errors("data_dir: /x\n");
  EXPECT_THAT(e, HasSubstr("inputs: at least one input is required"));
  EXPECT_THAT(e, HasSubstr("outputs: at least one output is required"));
}

TEST(Config, DuplicateNamesRejected) {
  std::string e = errors(R"(inputs:
  - {type: file, paths: [/a]}
outputs:
  - {type: stdout, name: out}
  - {type: file, name: out, path: /tmp/o}
)");
  EXPECT_THAT(e, HasSubstr("duplicate output name 'out'"));
}

TEST(Config, EnvAndSecretFiles) {
  char path[] = "/tmp/auditrelay-secretXXXXXX";
  int fd = mkstemp(path);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(write(fd, "s3cret\n", 7), 7);
  close(fd);
  std::string text = std::string(R"(inputs:
  - {type: file, paths: ["${LOGDIR}/*.log"], format: "${FMT:-slog_json}"}
outputs:
  - type: file
    path_file: )") + path +
                     "\n";
  AgentConfig cfg;
  Diagnostics d("t");
  ASSERT_TRUE(load_config_text(text, "t", env_of({{"LOGDIR", "/var/log/coder"}}), cfg, d))
      << d.to_string();
  EXPECT_EQ(cfg.inputs[0].options.list("paths")[0], "/var/log/coder/*.log");
  EXPECT_EQ(cfg.inputs[0].options.str("format"), "slog_json");
  EXPECT_EQ(cfg.outputs[0].options.str("path"), "s3cret");
  std::remove(path);
  std::string e = errors(R"(inputs:
  - {type: file, paths: [/a]}
outputs:
  - {type: file, path_file: /nonexistent/secret}
)");
  EXPECT_THAT(e, HasSubstr("outputs[0].path_file: cannot read file '/nonexistent/secret'"));
}

TEST(Config, TypeMismatchesAreClear) {
  std::string e = errors(R"(inputs:
  - type: file
    paths: {a: 1}
    read_from: middle
outputs:
  - {type: stdout, batch: {max_events: x}}
)");
  EXPECT_THAT(e, HasSubstr("inputs[0].paths: expected a list of strings"));
  EXPECT_THAT(e, HasSubstr("inputs[0].read_from: 'middle' is not one of: beginning, end"));
  EXPECT_THAT(e, HasSubstr("outputs[0].batch.max_events: expected an integer"));
}

namespace {

// The problems of a config, one string per problem ("LINE: path: message").
std::vector<std::string> problems(const std::string& text,
                                  std::map<std::string, std::string> vars = {}) {
  AgentConfig cfg;
  Diagnostics d("test.yaml");
  load_config_text(text, "test.yaml", env_of(vars), cfg, d);
  std::vector<std::string> out;
  for (const auto& i : d.items())
    out.push_back(std::to_string(i.line) + ": " + i.path + ": " + i.message);
  return out;
}

const char* kInputs = "inputs: [{type: file, paths: [/a]}]\n";

}  // namespace

TEST(Validate, ServerListenMustBeHostAndPort) {
  for (const char* bad : {"garbage", "127.0.0.1:", ":2020x", "127.0.0.1:99999", "::1:2020"}) {
    auto p = problems(std::string(kInputs) + "outputs: [{type: stdout}]\nserver:\n  listen: \"" +
                      bad + "\"\n");
    ASSERT_EQ(p.size(), 1u) << bad;
    EXPECT_THAT(p[0], HasSubstr("4: server.listen: ")) << bad;
  }
  for (const char* good : {"127.0.0.1:2020", "0.0.0.0:2020", "[::1]:2020", "localhost:0"})
    EXPECT_TRUE(problems(std::string(kInputs) + "outputs: [{type: stdout}]\nserver: {listen: \"" +
                         good + "\"}\n")
                    .empty())
        << good;
}

TEST(Validate, BatchLimitsMustBePositive) {
  for (const char* bad : {"0", "-1"}) {
    auto p = problems(std::string(kInputs) + "outputs:\n  - type: stdout\n    batch:\n" +
                      "      max_events: " + bad + "\n");
    ASSERT_EQ(p.size(), 1u) << bad;
    EXPECT_EQ(p[0], "5: outputs[0].batch.max_events: must be at least 1");
  }
}

TEST(Validate, KafkaProblemsAreReportedOnTheirOwnLines) {
  TempDir dir;
  auto p = problems(std::string(kInputs) + R"(outputs:
  - type: kafka
    brokers: ["127.0.0.1:9092"]
    topic: "coder.{kind"
    key: "{}"
    librdkafka:
      security.protocol: SASL_SSL
      sasl.mechanism: SCRAM-SHA-999
      ssl.ca.location: )" +
                    dir / "missing-ca.pem" + R"(
      bogus.property: "1"
)");
  ASSERT_EQ(p.size(), 5u) << ::testing::PrintToString(p);
  EXPECT_THAT(p[0], HasSubstr("5: outputs[0].topic: '{' at 7 is not closed"));
  EXPECT_THAT(p[1], HasSubstr("6: outputs[0].key: '{}' does not name a field"));
  EXPECT_THAT(p[2], HasSubstr("11: outputs[0].librdkafka.bogus.property: No such configuration"));
  EXPECT_THAT(p[3], HasSubstr("9: outputs[0].librdkafka.sasl.mechanism: unknown SASL mechanism"));
  EXPECT_THAT(p[4], HasSubstr("10: outputs[0].librdkafka.ssl.ca.location: cannot read"));
}

TEST(Validate, KafkaPropertiesLibrdkafkaRefusesTogetherAreReported) {
  // Each value is accepted alone; a client cannot be created with them.
  TempDir dir;
  write_text(dir / "not-a-cert.pem", "not a certificate\n");
  auto p = problems(std::string(kInputs) + R"(outputs:
  - type: kafka
    brokers: ["127.0.0.1:9092"]
    librdkafka:
      security.protocol: SSL
      ssl.ca.location: )" +
                    dir / "not-a-cert.pem" + "\n");
  ASSERT_EQ(p.size(), 1u) << ::testing::PrintToString(p);
  EXPECT_THAT(p[0], HasSubstr("5: outputs[0].librdkafka: librdkafka refuses: ssl.ca.location"));
}

TEST(Validate, TlsFilesMustBeReadable) {
  for (std::string type : {"http", "splunk_hec"}) {
    auto p = problems(std::string(kInputs) + "outputs:\n  - type: " + type +
                      "\n    url: https://x:8088\n    tls:\n      ca_file: /nonexistent/ca.pem\n" +
                      (type == "splunk_hec" ? "    token: t\n" : ""));
    ASSERT_EQ(p.size(), 1u) << type << ": " << ::testing::PrintToString(p);
    EXPECT_EQ(p[0],
              "6: outputs[0].tls.ca_file: cannot read /nonexistent/ca.pem: No such file or "
              "directory");
  }
}

TEST(Validate, AnUnsetVariableIsOneProblemOnItsLine) {
  auto p = problems(std::string(kInputs) + R"(outputs:
  - type: splunk_hec
    url: https://splunk:8088
    token: ${SPLUNK_HEC_TOKEN}
  - type: kafka
    brokers: ["127.0.0.1:9092"]
    batch: {max_events: ${BATCH}}
    librdkafka:
      sasl.username: auditrelay
      sasl.password: ${KAFKA_PASSWORD}
)");
  ASSERT_EQ(p.size(), 3u) << ::testing::PrintToString(p);
  EXPECT_THAT(p[0], HasSubstr("5: : environment variable SPLUNK_HEC_TOKEN is not set"));
  EXPECT_THAT(p[1], HasSubstr("8: : environment variable BATCH is not set"));
  EXPECT_THAT(p[2], HasSubstr("11: : environment variable KAFKA_PASSWORD is not set"));
  // Set, they are fine.
  EXPECT_TRUE(problems(std::string(kInputs) + "outputs: [{type: splunk_hec, url: https://s:8088, "
                                              "token: ${SPLUNK_HEC_TOKEN}}]\n",
                       {{"SPLUNK_HEC_TOKEN", "t"}})
                  .empty());
}

TEST(Validate, AnEmptyRequiredOptionIsOneProblem) {
  auto p = problems(std::string(kInputs) +
                    "outputs:\n  - type: splunk_hec\n    url: https://s:8088\n    token:\n");
  ASSERT_EQ(p.size(), 1u) << ::testing::PrintToString(p);
  EXPECT_EQ(p[0], "5: outputs[0].token: must not be empty");
}

TEST(Validate, AnUnreadableSecretFileIsOneProblem) {
  auto p = problems(std::string(kInputs) +
                    "outputs:\n  - type: splunk_hec\n    url: https://s:8088\n"
                    "    token_file: /nonexistent/hec-token\n");
  ASSERT_EQ(p.size(), 1u) << ::testing::PrintToString(p);
  EXPECT_THAT(p[0], HasSubstr("5: outputs[0].token_file: cannot read"));
}

// A map whose values are a string or a list of strings (the journald input's matches).
TEST(Options, AMapOfListsTakesAValueOrAListPerKey) {
  std::vector<OptionSpec> specs = {{"m", OptType::MapOfLists, "", false, "matches"}};
  Diagnostics d("t");
  Options o = validate_options(YAML::Load("m: {A: x, B: [y, z]}"), specs, "in", d);
  EXPECT_TRUE(d.ok()) << d.to_string();
  auto m = o.map_of_lists("m");
  EXPECT_EQ(m["A"], std::vector<std::string>{"x"});
  EXPECT_EQ(m["B"], (std::vector<std::string>{"y", "z"}));

  Diagnostics bad("t");
  validate_options(YAML::Load("m:\n  A: {x: 1}\n  B: [y, [z]]\n  C: []\n  D: \"a\\nb\""), specs, "in", bad);
  EXPECT_THAT(bad.to_string(), HasSubstr("t:2: in.m.A: expected a value or a list of values"));
  EXPECT_THAT(bad.to_string(), HasSubstr("t:3: in.m.B: expected a value or a list of values"));
  EXPECT_THAT(bad.to_string(), HasSubstr("in.m.C: expected a value or a list of values"));
  EXPECT_THAT(bad.to_string(), HasSubstr("in.m.D: a value cannot hold a line break"));
  Diagnostics not_map("t");
  validate_options(YAML::Load("m: [a]"), specs, "in", not_map);
  EXPECT_THAT(not_map.to_string(), HasSubstr("in.m: expected a mapping of names to a value or a list"));
}
