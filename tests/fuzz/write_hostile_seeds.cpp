// Writes the hostile inputs (tests/support/hostile_inputs.h) into a fuzz corpus directory, each
// also wrapped as CRI and Docker lines, so every target starts from them. Inputs are cut to
// `max_bytes` (libFuzzer would cut them to -max_len anyway).
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>

#include "support/hostile_inputs.h"

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: write_hostile_seeds <dir> [max_bytes]\n");
    return 2;
  }
  std::string dir = argv[1];
  size_t max_bytes = argc > 2 ? std::strtoul(argv[2], nullptr, 10) : 65536;
  int written = 0;
  for (const auto& in : auditrelay::test::hostile_inputs()) {
    std::string text = in.text.substr(0, max_bytes);
    std::string first_line = text.substr(0, text.find('\n'));
    std::string wrapped[] = {text, "2025-09-16T08:00:00.1Z stderr F " + first_line + "\n",
                             R"({"log":")" + first_line.substr(0, 200) +
                                 R"(\n","stream":"stdout","time":"x"})"
                                 "\n"};
    const char* suffix[] = {"", ".cri", ".docker"};
    for (int i = 0; i < 3; ++i) {
      std::ofstream out(dir + "/hostile-" + in.name + suffix[i], std::ios::binary);
      out << wrapped[i];
      if (!out) {
        std::fprintf(stderr, "cannot write to %s\n", dir.c_str());
        return 1;
      }
      ++written;
    }
  }
  std::printf("%d hostile seeds in %s\n", written, dir.c_str());
  return 0;
}
