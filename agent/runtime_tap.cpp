// GET /tap on the running agent: whether it is served (server.tap, or a loopback listener), and
// which inputs and outputs of the running config a client may tap.
#include <spdlog/spdlog.h>

#include "agent/runtime.h"
#include "core/server/listen_address.h"

namespace auditrelay {

void Runtime::serve_tap(HealthServer& server) {
  std::string why;
  auto address = parse_listen_address(cfg_.server.str("listen"), why);  // validated
  bool loopback = address && is_loopback_host(address->host);
  bool enabled = cfg_.server.has("tap") ? cfg_.server.boolean("tap") : loopback;
  if (!enabled)
    why = cfg_.server.has("tap")
              ? "GET /tap is off (server.tap: false)"
              : "GET /tap is off on a listener other machines can reach (server.listen " +
                    cfg_.server.str("listen") +
                    "); set server.tap: true, with server.token, to serve it";
  else if (!loopback && cfg_.server.str("token").empty())
    spdlog::warn(
        "server.tap is on and server.listen {} is reachable from other machines without "
        "server.token: anyone who reaches it can read every event",
        cfg_.server.str("listen"));
  server.serve_tap([this](const auto& req, std::string& error) { return open_tap(req, error); },
                   enabled, why);
}

void Runtime::set_tap_targets() {
  TapTargets t;
  for (const auto& o : cfg_.outputs)
    t.outputs[o.name] = {output_index_.at(o.name), output_schema(o)};
  for (const auto& i : cfg_.inputs) t.inputs.insert(i.name);
  // Under tap_mu_, which open_tap holds from resolving an output to subscribing: no tap opens
  // with what this replaces.
  std::lock_guard lock(tap_mu_);
  tap_targets_ = std::move(t);
  // A tap on an output a reload changed or removed would now show another output's events (its
  // routing bit may be reused) or an old schema: it ends, and the client is told why.
  tap_hub_.close_where(
      [&](const coder::TapClient& c) {
        const auto& name = c.filter.output_name;
        if (name.empty()) return false;
        auto it = tap_targets_.outputs.find(name);
        return it == tap_targets_.outputs.end() || it->second.first != c.filter.output ||
               it->second.second != c.filter.output_schema;
      },
      "a reload changed or removed this output; tap it again");
}

HealthServer::OpenedTap Runtime::open_tap(const HealthServer::TapRequest& req, std::string& error) {
  auto client = std::make_shared<coder::TapClient>();
  coder::TapFilter& f = client->filter;
  if (!req.match.empty() && !f.match.add(req.match, error)) {
    error = "match: " + error;
    return {};
  }
  if (!req.schema.empty() && !parse_schema(req.schema, f.schema)) {
    error = "schema: \"" + req.schema + "\" is not one of " + std::string(kSchemaChoices);
    return {};
  }
  f.input = req.input;
  std::lock_guard lock(tap_mu_);
  if (!req.input.empty() && !tap_targets_.inputs.count(req.input)) {
    error = "input: no input named \"" + req.input + "\" in the running config";
    return {};
  }
  if (!req.output.empty()) {
    auto it = tap_targets_.outputs.find(req.output);
    if (it == tap_targets_.outputs.end()) {
      error = "output: no output named \"" + req.output + "\" in the running config";
      return {};
    }
    f.output = it->second.first;
    f.output_name = req.output;
    f.output_schema = it->second.second;
    if (req.schema.empty()) f.schema = f.output_schema;
  }
  tap_hub_.subscribe(client);
  return {client->stream, [this, client] { tap_hub_.unsubscribe(client); }};
}

}  // namespace auditrelay
