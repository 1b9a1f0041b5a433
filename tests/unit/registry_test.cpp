#include <gtest/gtest.h>

#include "core/registry/registry.h"

using namespace auditrelay;

TEST(Registry, BuiltInPluginsRegisterThemselves) {
  auto& r = Registry::instance();
  for (const char* f : {"auto", "slog_json", "slog_human", "cri", "docker", "raw"})
    EXPECT_NE(r.format(f), nullptr) << f;
  EXPECT_NE(r.find(PluginKind::Input, "file"), nullptr);
  EXPECT_NE(r.find(PluginKind::Output, "stdout"), nullptr);
  EXPECT_NE(r.find(PluginKind::Output, "file"), nullptr);
  EXPECT_EQ(r.find(PluginKind::Output, "nope"), nullptr);
  EXPECT_EQ(r.find(PluginKind::Input, "stdout"), nullptr);  // kinds are separate namespaces
}

TEST(Registry, OptionTablesDescribeThemselves) {
  const auto* file = Registry::instance().find(PluginKind::Input, "file");
  ASSERT_NE(file, nullptr);
  bool has_paths = false;
  for (const auto& o : file->options) {
    EXPECT_FALSE(o.description.empty()) << o.name;
    if (o.name == "paths") has_paths = o.required;
  }
  EXPECT_TRUE(has_paths);
  std::string help = describe_options(file->options);
  EXPECT_NE(help.find("read_from (enum: beginning|end, default beginning)"), std::string::npos) << help;
}

TEST(Registry, DuplicateRegistrationIsRefused) {
  PluginDescriptor d;
  d.kind = PluginKind::Output;
  d.name = "stdout";
  EXPECT_FALSE(Registry::instance().add(d));
}
