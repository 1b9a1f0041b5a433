// `auditrelay tap`: live events from a running agent (GET /tap), as NDJSON or, on a terminal,
// one readable line each. Lines the server adds under "auditrelay_tap" (the stream started, N
// events were dropped because this client read too slowly) go to stderr, not stdout.
#include <simdjson.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <string>

#include "agent/cli/agent_client.h"
#include "agent/cli/commands.h"
#include "agent/cli/tap_line.h"

namespace auditrelay {
namespace {

constexpr std::string_view kNoticePrefix = "{\"auditrelay_tap\":";

struct TapPrinter {
  TapPrinter(const TapArgs& a, bool readable_lines, bool in_colour)
      : args(a), readable(readable_lines), colour(in_colour) {}
  const TapArgs& args;
  bool readable;
  bool colour;
  uint64_t printed = 0;
  std::string partial;
  bool ended_by_agent = false;   // the agent closed this tap (a reload changed its output)
  simdjson::dom::parser parser;  // the server's notices

  // False once --limit events are printed (the request is then cancelled).
  bool feed(const char* data, size_t size) {
    partial.append(data, size);
    size_t start = 0;
    for (size_t nl; (nl = partial.find('\n', start)) != std::string::npos; start = nl + 1) {
      if (!line(std::string_view(partial).substr(start, nl - start))) {
        partial.clear();
        return false;
      }
    }
    partial.erase(0, start);
    return true;
  }

  bool line(std::string_view l) {
    if (l.empty()) return true;  // the server's keep-alive
    if (l.starts_with(kNoticePrefix)) {
      notice(l);
      return true;
    }
    std::string out = readable ? readable_tap_line(l, colour) : std::string(l);
    out += '\n';
    std::fwrite(out.data(), 1, out.size(), stdout);
    std::fflush(stdout);
    return !(args.limit > 0 && ++printed >= args.limit);
  }

  void notice(std::string_view l) {
    simdjson::dom::element n;
    if (parser.parse(l.data(), l.size()).get(n) != simdjson::SUCCESS) return;
    uint64_t dropped = 0;
    std::string_view closed;
    if (n.at_pointer("/auditrelay_tap/closed").get(closed) == simdjson::SUCCESS) {
      std::fprintf(stderr, "auditrelay tap: the agent ended this tap: %.*s\n",
                   static_cast<int>(closed.size()), closed.data());
      ended_by_agent = true;
    } else if (n.at_pointer("/auditrelay_tap/dropped").get(dropped) == simdjson::SUCCESS) {
      std::fprintf(stderr,
                   "auditrelay tap: %llu event(s) dropped: this client read more slowly than "
                   "events came (delivery is not affected)\n",
                   static_cast<unsigned long long>(dropped));
    } else if (isatty(STDERR_FILENO)) {
      std::fprintf(stderr, "auditrelay tap: streaming (Ctrl-C to stop)\n");
    }
  }
};

}  // namespace

int tap_command(const TapArgs& args) {
  AgentUrl u;
  if (!agent_url_option("tap", args.url, "/tap", u)) return 2;
  if (u.path != "/tap") u.path = "/tap";  // --url names the agent's server
  std::string token;
  if (!read_server_token(args.token_file, token)) {
    std::fprintf(stderr, "auditrelay tap: cannot read --token-file %s\n", args.token_file.c_str());
    return 2;
  }
  httplib::Params params;
  for (const auto& [key, value] : {std::pair{"match", &args.match},
                                   {"output", &args.output},
                                   {"input", &args.input},
                                   {"schema", &args.schema}})
    if (!value->empty()) params.emplace(key, *value);

  bool terminal = isatty(STDOUT_FILENO);
  TapPrinter printer{args, args.format == "text" || (args.format.empty() && terminal),
                     terminal && !std::getenv("NO_COLOR")};
  httplib::Client client(u.host, u.port);
  client.set_connection_timeout(std::chrono::seconds(2));
  // The server writes at least an empty line every 10 s; silence past this means it is gone.
  client.set_read_timeout(std::chrono::seconds(35));
  int status = 0;
  std::string refusal;
  auto res = client.Get(
      u.path, params, bearer_headers(token),
      [&](const httplib::Response& r) {
        status = r.status;
        return true;
      },
      [&](const char* data, size_t size) {
        if (status != 200) {
          refusal.append(data, size);
          return true;
        }
        return printer.feed(data, size);
      });
  if (status == 200 && args.limit > 0 && printer.printed >= args.limit) return 0;
  if (status && status != 200) {
    std::fprintf(stderr, "auditrelay tap: %s answered %d: %s", args.url.c_str(), status,
                 refusal.c_str());
    return 1;
  }
  if (!res) {
    std::fprintf(
        stderr, "auditrelay tap: %s: %s\n", args.url.c_str(),
        status == 200 ? "the stream ended (the agent stopped?)" : unreachable_reason(res).c_str());
    return 1;
  }
  return printer.ended_by_agent ? 1 : 0;  // 0: the agent is stopping
}

}  // namespace auditrelay
