#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <map>

#include "agent/config/agent_config.h"
#include "agent/config/env_subst.h"

using namespace auditrelay;
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
  EXPECT_EQ(cfg.outputs[0].common.object("batch").integer("max_events"), 500);
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
  ASSERT_TRUE(load_config_text(
      "inputs: [{type: file, paths: [/a]}]\n"
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
  EXPECT_THAT(
      e, HasSubstr(
             "test.yaml:13: transforms.drop[0]: invalid filter query: Query param \"severity\" has invalid value"));
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
