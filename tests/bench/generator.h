#pragma once
// A seeded generator of realistic Coder service-log lines (audit, connection and app entries) in
// the slog JSON and human formats, for benchmarks. Two mixes:
//  - Mix::reference: the line size the issues' targets were set on (~390 bytes of JSON on
//    average): mostly app lines (request logs, autobuild, tailnet debug lines), 3 % audit and
//    5 % connection entries, as a coderd's log is in practice;
//  - Mix::heavy: 12 % audit and 15 % connection entries (~580 bytes of JSON on average), for a
//    deployment whose log is mostly audit traffic.
#include <cstdint>
#include <cstdio>
#include <random>
#include <string>

namespace auditrelay::bench {

enum class Mix { reference, heavy };

// "reference" or "heavy"; anything else is the reference mix.
inline Mix mix_from_name(const char* name) {
  return name && std::string(name) == "heavy" ? Mix::heavy : Mix::reference;
}
inline const char* mix_name(Mix m) {
  return m == Mix::heavy ? "heavy" : "reference";
}

class CoderLineGenerator {
 public:
  explicit CoderLineGenerator(uint64_t seed = 42, Mix mix = Mix::reference)
      : rng_(seed), mix_(mix) {}

  // Appends one entry (one line for JSON; human app errors may carry a multi-line block).
  void json_line(std::string& out) { line(out, true); }
  void human_line(std::string& out) { line(out, false); }

 private:
  std::string uuid() {
    static const char* hex = "0123456789abcdef";
    std::string s(36, '-');
    for (int i = 0; i < 36; ++i)
      if (i != 8 && i != 13 && i != 18 && i != 23) s[i] = hex[rng_() & 15];
    return s;
  }
  std::string ts(bool json) {
    ++tick_;
    char buf[64];
    unsigned secs = static_cast<unsigned>(tick_ / 1000), ms = static_cast<unsigned>(tick_ % 1000);
    if (json)
      snprintf(buf, sizeof buf, "2025-09-16T%02u:%02u:%02u.%03u%06uZ", secs / 3600 % 24,
               secs / 60 % 60, secs % 60, ms, static_cast<unsigned>(rng_() % 1000000));
    else
      snprintf(buf, sizeof buf, "2025-09-16 %02u:%02u:%02u.%03u", secs / 3600 % 24, secs / 60 % 60,
               secs % 60, ms);
    return buf;
  }
  const char* pick(std::initializer_list<const char*> l) { return l.begin()[rng_() % l.size()]; }

  void line(std::string& out, bool json) {
    unsigned r = rng_() % 100;
    bool heavy = mix_ == Mix::heavy;
    if (r < (heavy ? 12u : 3u))
      audit(out, json);
    else if (r < (heavy ? 27u : 8u))
      connection(out, json);
    else if (!heavy && r < 62)
      debug_app(out, json);
    else
      app(out, json);
  }

  // Short DEBUG lines of coderd's tailnet coordinator (~270 bytes).
  void debug_app(std::string& out, bool json) {
    const char* msg = pick({"client connected to agent", "agent disconnected", "sent node update"});
    std::string agent = uuid();
    if (json)
      out +=
          R"({"ts":")" + ts(true) + R"(","level":"DEBUG","msg":")" + msg +
          R"(","caller":"/home/coder/coder/tailnet/coordinator.go:512","func":"tailnet.(*core).handleRequest","logger_names":["coderd","tailnet"],"fields":{"agent_id":")" +
          agent + "\"}}\n";
    else
      out += ts(false) + " [debu]  coderd.tailnet: " + msg + "  agent_id=" + agent + "\n";
  }

  void audit(std::string& out, bool json) {
    std::string id = uuid(), user = uuid(), org = uuid(), res = uuid(), req = uuid(), ws = uuid();
    const char* action = pick({"create", "write", "delete", "start", "stop", "login"});
    const char* type = pick({"workspace", "workspace_build", "template", "user", "api_key"});
    const char* who = pick({"alice", "bob", "carol", "dmitri"});
    std::string t = ts(true);
    if (json) {
      out +=
          R"({"ts":")" + t +
          R"(","level":"INFO","msg":"audit_log","caller":"/home/coder/coder/enterprise/audit/backends/slog.go:38","func":"github.com/coder/coder/v2/enterprise/audit/backends.(*SlogExporter).ExportStruct","logger_names":["coderd"],"fields":{"ID":")" +
          id + R"(","Time":")" + t + R"(","UserID":")" + user + R"(","OrganizationID":")" + org +
          R"(","Ip":"10.20.4.17","UserAgent":"Mozilla/5.0 X11; Linux x86_64","ResourceType":")" +
          type + R"(","ResourceID":")" + res + R"(","ResourceTarget":"dev","Action":")" + action +
          R"(","Diff":{"ttl":{"Old":28800000000000,"New":3600000000000,"Secret":false}},"StatusCode":200,"AdditionalFields":{"workspace_name":"dev","build_number":"7","build_reason":"initiator","workspace_owner":")" +
          who + R"(","workspace_id":")" + ws + R"("},"RequestID":")" + req +
          R"(","ResourceIcon":"","actor":{"id":")" + user + R"(","email":")" + who +
          R"(@acme-corp.io","username":")" + who + "\"}}}\n";
    } else {
      out += ts(false) + " [info]  coderd: audit_log  ID=" + id + "  Time=\"" + t.substr(0, 10) +
             " " + t.substr(11, 15) + " +0000 UTC\"  UserID=" + user + "  OrganizationID=" + org +
             "  Ip=10.20.4.17  UserAgent=\"Mozilla/5.0 X11; Linux x86_64\"  ResourceType=" + type +
             "  ResourceID=" + res + "  ResourceTarget=dev  Action=" + action +
             "  "
             "Diff=\"{\\\"ttl\\\":{\\\"Old\\\":28800000000000,\\\"New\\\":3600000000000,"
             "\\\"Secret\\\":false}}\"  StatusCode=200"
             "  "
             "AdditionalFields=\"{\\\"workspace_name\\\":\\\"dev\\\",\\\"build_number\\\":"
             "\\\"7\\\",\\\"build_reason\\\":\\\"initiator\\\"}\"  RequestID=" +
             req + "  ResourceIcon=\"\"  actor=\"&{ID:" + user + " Email:" + who +
             "@acme-corp.io Username:" + who + "}\"\n";
    }
  }

  void connection(std::string& out, bool json) {
    std::string id = uuid(), req = uuid(), org = uuid(), owner = uuid(), ws = uuid(), conn = uuid();
    const char* type = pick({"ssh", "vscode", "jetbrains", "reconnecting_pty"});
    bool disc = rng_() % 2;
    std::string t = ts(true);
    if (json) {
      out +=
          R"({"ts":")" + t +
          R"(","level":"INFO","msg":"connection_log","caller":"/home/coder/coder/enterprise/audit/backends/slog.go:38","func":"github.com/coder/coder/v2/enterprise/audit/backends.(*SlogExporter).ExportStruct","logger_names":["coderd"],"fields":{"request_id":")" +
          req + R"(","ID":")" + id + R"(","OrganizationID":")" + org + R"(","WorkspaceOwnerID":")" +
          owner + R"(","WorkspaceID":")" + ws +
          R"(","WorkspaceName":"dev","AgentName":"main","Type":")" + type + R"(","Code":)" +
          (disc ? "0" : "null") +
          R"(,"Ip":"fd7a:115c:a1e0:49d6:b259:b7ac:b1b2:48f4","UserAgent":"","UserID":null,"SlugOrPort":"","ConnectionID":")" +
          conn + R"(","DisconnectReason":")" + (disc ? "client closed" : "") + R"(","Time":")" + t +
          R"(","ConnectionStatus":")" + (disc ? "disconnected" : "connected") + "\"}}\n";
    } else {
      out += ts(false) + " [info]  coderd: connection_log  request_id=" + req + "  ID=" + id +
             "  OrganizationID=" + org + "  WorkspaceOwnerID=" + owner + "  WorkspaceID=" + ws +
             "  WorkspaceName=dev  AgentName=main  Type=" + type +
             "  Code=" + (disc ? "0" : "<nil>") +
             "  Ip=fd7a:115c:a1e0:49d6:b259:b7ac:b1b2:48f4  UserAgent=\"\"  UserID=<nil>"
             "  SlugOrPort=\"\"  ConnectionID=" +
             conn + "  DisconnectReason=" + (disc ? "\"client closed\"" : "\"\"") + "  Time=\"" +
             t.substr(0, 10) + " " + t.substr(11, 15) +
             " +0000 UTC\"  ConnectionStatus=" + (disc ? "disconnected" : "connected") + "\n";
    }
  }

  // Short INFO lines of the autobuild executor and provisioners (~300 bytes).
  void short_app(std::string& out, bool json, const std::string& ws) {
    const char* transition = pick({"start", "stop"});
    if (json)
      out +=
          R"({"ts":")" + ts(true) +
          R"(","level":"INFO","msg":"scheduling workspace transition","caller":"/home/coder/coder/coderd/autobuild/lifecycle_executor.go:379","func":"github.com/coder/coder/v2/coderd/autobuild.(*Executor).runOnce.func2.1","logger_names":["autobuild"],"fields":{"workspace_id":")" +
          ws + R"(","transition":")" + transition + "\"}}\n";
    else
      out += ts(false) + " [info]  autobuild: scheduling workspace transition  workspace_id=" + ws +
             "  transition=" + transition + "\n";
  }

  void app(std::string& out, bool json) {
    std::string ws = uuid(), req = uuid();
    unsigned r = rng_() % 10;
    if (r < 4) {
      short_app(out, json, ws);
      return;
    }
    if (json) {
      if (r < 9)
        out +=
            R"({"ts":")" + ts(true) +
            R"(","level":"INFO","msg":"GET","caller":"/home/coder/coder/coderd/httpmw/loggermw/logger.go:170","func":"github.com/coder/coder/v2/coderd/httpmw/loggermw.(*SlogRequestLogger).WriteLog.func1","logger_names":["coderd"],"fields":{"host":"coder.acme-corp.io","path":"/api/v2/workspaces/)" +
            ws +
            R"(","proto":"HTTP/1.1","remote_addr":"10.20.4.17","took":"1.402211ms","status_code":200,"latency_ms":1,"request_id":")" +
            req + "\"}}\n";
      else
        out +=
            R"({"ts":")" + ts(true) +
            R"(","level":"ERROR","msg":"failed to transition workspace","caller":"/home/coder/coder/coderd/autobuild/lifecycle_executor.go:433","func":"github.com/coder/coder/v2/coderd/autobuild.(*Executor).runOnce.func2","logger_names":["autobuild"],"fields":{"workspace_id":")" +
            ws +
            R"(","workspace_name":"dev","error":[{"msg":"transition workspace","fun":"f","loc":"l:1"},{"msg":"build workspace","fun":"f","loc":"l:2"},"sql: no rows in result set"]}})"
            "\n";
    } else {
      if (r < 9)
        out += ts(false) +
               " [info]  coderd: GET  host=coder.acme-corp.io  path=/api/v2/workspaces/" + ws +
               "  proto=HTTP/1.1  remote_addr=10.20.4.17  took=1.402211ms  status_code=200  "
               "latency_ms=1  request_id=" +
               req + "\n";
      else
        out += ts(false) +
               " [erro]  autobuild: failed to transition workspace  workspace_id=" + ws +
               "  workspace_name=dev ...\n"
               "    error= transition workspace:\n"
               "               "
               "github.com/coder/coder/v2/coderd/autobuild.(*Executor).runOnce.func2.1\n"
               "                   /home/coder/coder/coderd/autobuild/lifecycle_executor.go:341\n"
               "             - sql: no rows in result set\n";
    }
  }

  std::mt19937_64 rng_;
  Mix mix_;
  uint64_t tick_ = 0;
};

}  // namespace auditrelay::bench
