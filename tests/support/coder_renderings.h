#pragma once
// Generated Coder service-log entries and their renderings as Coder's slog writes them
// (FORMATS.md §3, §4, §13): JSON; human with slog v3.0.0 or rc1 values; human decorated with the
// launcher's "[API] " prefix and ANSI colour; Kubernetes CRI and Docker json-file wrappers with
// partial records on both streams. The same entry in any rendering must give the same event.
#include <cstdint>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <random>
#include <string>
#include <vector>

namespace auditrelay::test {

struct GenField {
  enum class Type { String, Int, Bool, Null, Map, Time };
  std::string key;
  Type type = Type::String;
  std::string text;  // String: the value; Int: digits; Map: compact JSON; Time: RFC 3339 (UTC)
};

struct GenEntry {
  int64_t unix_ms = 0;
  int level = 1;       // index into kLevels
  std::string logger;  // dotted; empty for an unnamed logger
  std::string message;
  std::vector<GenField> fields;
};

enum class HumanStyle { V3, Rc1 };

inline constexpr const char* kHumanLevels[] = {"debu", "info", "warn", "erro", "crit", "fata"};
inline constexpr const char* kJsonLevels[] = {"DEBUG", "INFO",     "WARN",
                                              "ERROR", "CRITICAL", "FATAL"};

// "2025-09-16T08:00:00.231Z" from unix ms, trailing fraction zeros trimmed as Go's RFC3339Nano.
inline std::string rfc3339_ms(int64_t unix_ms, bool trim = true) {
  time_t secs = static_cast<time_t>(unix_ms / 1000);
  int ms = static_cast<int>(unix_ms % 1000);
  struct tm tm;
  gmtime_r(&secs, &tm);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d", tm.tm_year + 1900, tm.tm_mon + 1,
                tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
  std::string s = buf;
  char frac[8];
  std::snprintf(frac, sizeof frac, ".%03d", ms);
  std::string f = frac;
  if (trim) {
    while (!f.empty() && f.back() == '0') f.pop_back();
    if (f == ".") f.clear();
  }
  return s + f + "Z";
}

// Go's strconv.Quote for the strings the generator makes (ASCII, \n, \t, quotes, backslashes,
// printable UTF-8).
inline std::string go_quote(const std::string& s) {
  std::string out = "\"";
  for (unsigned char c : s) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (c < 0x20) {
          char b[8];
          std::snprintf(b, sizeof b, "\\x%02x", c);
          out += b;
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  return out + "\"";
}

// slog's human value rule: bare unless empty, with whitespace, or with a character Go escapes.
inline std::string human_string(const std::string& s) {
  if (s.empty()) return "\"\"";
  for (unsigned char c : s)
    if (c <= ' ' || c == '"' || c == '\\' || c == 0x7f) return go_quote(s);
  return s;
}

// Go's Time.String() of an RFC 3339 UTC time: "2025-09-16 06:57:16.144719 +0000 UTC".
inline std::string go_time_string(const std::string& rfc) {
  std::string s = rfc;
  s[10] = ' ';
  s.pop_back();  // Z
  return s + " +0000 UTC";
}

inline std::string render_json(const GenEntry& e) {
  nlohmann::ordered_json j;
  j["ts"] = rfc3339_ms(e.unix_ms);
  j["level"] = kJsonLevels[e.level];
  j["msg"] = e.message;
  j["caller"] = "/home/coder/coder/coderd/x.go:42";
  if (!e.logger.empty()) {
    nlohmann::json names = nlohmann::json::array();
    size_t start = 0;
    // Component names may hold dots themselves (daemon names); the generator keeps them simple.
    while (true) {
      size_t dot = e.logger.find('.', start);
      names.push_back(e.logger.substr(start, dot - start));
      if (dot == std::string::npos) break;
      start = dot + 1;
    }
    j["logger_names"] = names;
  }
  if (!e.fields.empty()) {
    nlohmann::ordered_json f = nlohmann::ordered_json::object();
    for (const auto& x : e.fields) {
      switch (x.type) {
        case GenField::Type::String:
        case GenField::Type::Time:
          f[x.key] = x.text;
          break;
        case GenField::Type::Int:
          f[x.key] = std::stoll(x.text);
          break;
        case GenField::Type::Bool:
          f[x.key] = x.text == "true";
          break;
        case GenField::Type::Null:
          f[x.key] = nullptr;
          break;
        case GenField::Type::Map:
          f[x.key] = nlohmann::ordered_json::parse(x.text);
          break;
      }
    }
    j["fields"] = f;
  }
  return j.dump() + "\n";
}

// The physical lines of the human rendering (each ending in '\n').
inline std::vector<std::string> render_human_lines(const GenEntry& e, HumanStyle style) {
  std::string head = rfc3339_ms(e.unix_ms, false).substr(0, 23);
  head[10] = ' ';
  head += std::string(" [") + kHumanLevels[e.level] + "]  ";
  if (!e.logger.empty()) head += e.logger + ": ";
  // At most one multi-line value goes to a block: the message, else the first such string field.
  std::string block_key, block_value;
  bool msg_block = e.message.find('\n') != std::string::npos;
  if (msg_block) {
    block_key = "msg";
    block_value = e.message;
    head += "...";
  } else {
    head += e.message;
  }
  for (const auto& f : e.fields) {
    std::string v;
    switch (f.type) {
      case GenField::Type::String:
        if (!msg_block && block_key.empty() && f.text.find('\n') != std::string::npos) {
          block_key = f.key;
          block_value = f.text;
          continue;
        }
        v = human_string(f.text);
        break;
      case GenField::Type::Time:
        v = go_quote(style == HumanStyle::V3 ? go_time_string(f.text) : f.text);
        break;
      case GenField::Type::Int:
      case GenField::Type::Bool:
      case GenField::Type::Map:
        v = f.text;
        break;
      case GenField::Type::Null:
        v = "<nil>";
        break;
    }
    head += "  " + f.key + "=" + v;
  }
  if (!block_key.empty() && !msg_block) head += " ...";
  std::vector<std::string> lines{head + "\n"};
  if (block_key.empty()) return lines;
  size_t start = 0;
  bool first = true;
  while (true) {
    size_t nl = block_value.find('\n', start);
    std::string part =
        block_value.substr(start, nl == std::string::npos ? std::string::npos : nl - start);
    if (first)
      lines.push_back("    " + block_key + "= " + part + "\n");
    else if (part.empty())
      lines.push_back("\n");
    else
      lines.push_back("    " + std::string(block_key.size() + 2, ' ') + part + "\n");
    first = false;
    if (nl == std::string::npos) break;
    start = nl + 1;
  }
  return lines;
}

// The launcher's "[API] " prefix on every line, and ANSI colour around the header's parts.
inline std::string decorate(const std::string& line, bool prefix, bool colour) {
  std::string s = line;
  if (colour && s.size() > 32 && s[4] == '-') {
    s = "\x1b[0m\x1b[90m" + s.substr(0, 23) + "\x1b[0m [\x1b[1;31m" + s.substr(25, 4) + "\x1b[0m]" +
        s.substr(30);
  }
  return prefix ? "[API] " + s : s;
}

// A physical line (with its '\n') as CRI records of one stream, cut into P pieces at `cuts`.
inline std::vector<std::string> cri_records(const std::string& line, const std::string& stream,
                                            const std::vector<size_t>& cuts, int64_t unix_ms) {
  std::string content = line.substr(0, line.size() - 1);
  std::string ts = rfc3339_ms(unix_ms, false);
  ts.insert(ts.size() - 1, "123456");  // nanoseconds, as runtimes write
  std::vector<std::string> out;
  size_t start = 0;
  for (size_t cut : cuts) {
    if (cut <= start || cut >= content.size()) continue;
    out.push_back(ts + " " + stream + " P " + content.substr(start, cut - start) + "\n");
    start = cut;
  }
  out.push_back(ts + " " + stream + " F " + content.substr(start) + "\n");
  return out;
}

// The same as Docker json-file records: all but the last lack the trailing newline. A cut never
// splits a UTF-8 character: Go's JSON encoder would turn the halves into U+FFFD.
inline std::vector<std::string> docker_records(const std::string& line, const std::string& stream,
                                               std::vector<size_t> cuts, int64_t unix_ms) {
  for (auto& cut : cuts)
    while (cut > 0 && cut < line.size() && (static_cast<unsigned char>(line[cut]) & 0xc0) == 0x80)
      --cut;
  std::vector<std::string> out;
  size_t start = 0;
  auto record = [&](const std::string& piece) {
    nlohmann::ordered_json j;
    j["log"] = piece;
    j["stream"] = stream;
    j["time"] = rfc3339_ms(unix_ms, false);
    // Docker escapes invalid UTF-8 differently from nlohmann; the generator's text is valid.
    out.push_back(j.dump() + "\n");
  };
  for (size_t cut : cuts) {
    if (cut <= start || cut >= line.size() - 1) continue;
    record(line.substr(start, cut - start));
    start = cut;
  }
  record(line.substr(start));
  return out;
}

// Random entries over the shapes Coder writes: known and unknown logger names, unnamed loggers
// whose messages look like names ("oauth2: ..."), multi-line messages and fields, every value
// type, boundary_request entries.
class EntryGenerator {
 public:
  explicit EntryGenerator(uint32_t seed) : rng_(seed) {}

  GenEntry next() {
    GenEntry e;
    clock_ms_ += 1 + pick(2000);
    e.unix_ms = clock_ms_;
    e.level = static_cast<int>(pick(6));
    if (pick(8) == 0) return boundary(e);
    bool unnamed = pick(5) == 0;
    if (unnamed) {
      e.logger.clear();
      e.message = pick_of(kUnnamedMessages);
    } else {
      e.logger = pick_of(kLoggers);
      e.message = pick_of(kMessages);
    }
    if (pick(10) == 0) e.message = pick_of(kMultiLineMessages);
    size_t n = pick(6);
    bool block_field = pick(4) == 0;
    for (size_t i = 0; i < n; ++i) e.fields.push_back(field(i));
    if (block_field) {
      GenField f{"output", GenField::Type::String, pick_of(kMultiLineValues)};
      e.fields.insert(e.fields.begin() + static_cast<long>(pick(e.fields.size() + 1)), f);
      if (pick(2) == 0)  // a second multi-line string stays inline, quoted
        e.fields.push_back(GenField{"detail", GenField::Type::String, "two\nlines"});
    }
    return e;
  }

  size_t pick(size_t n) {
    return n == 0 ? 0 : std::uniform_int_distribution<size_t>(0, n - 1)(rng_);
  }
  template <typename T, size_t N>
  const T& pick_of(const T (&a)[N]) {
    return a[pick(N)];
  }

 private:
  GenEntry boundary(GenEntry e) {
    e.level = 1;
    e.logger = "coderd.agentrpc";
    e.message = "boundary_request";
    bool deny = pick(2) == 0;
    bool first_release = pick(4) == 0;
    auto s = [&](const char* k, std::string v) {
      e.fields.push_back(GenField{k, GenField::Type::String, v});
    };
    s("owner", pick_of(kUsers));
    s("workspace_name", "ws-" + std::to_string(pick(50)));
    s("agent_name", "main");
    s("decision", deny ? "deny" : "allow");
    s("workspace_id", "b21d26f6-b45e-4d3d-b1b9-9ac9a74036" + std::to_string(10 + pick(90)));
    if (!first_release) {
      s("template_id", "5e6f7a8b-1c2d-4e3f-9a0b-1c2d3e4f5a6b");
      s("template_version_id", "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d");
    }
    s("http_method", pick(2) ? "GET" : "POST");
    std::string host = pick_of(kHosts);
    s("http_url",
      first_release ? "/api/v2/logs" : "https://" + host + "/path/" + std::to_string(pick(1000)));
    s("event_time", first_release && pick(2) ? "0001-01-01T00:00:00Z" : rfc3339_ms(e.unix_ms - 3));
    if (!deny) s("matched_rule", pick(2) ? "domain=" + host : "method=GET,HEAD domain=" + host);
    s("request_id", "dfaf838f-37c7-4941-b5db-442ca000b797");
    if (pick(2)) {
      GenField t{"trace", GenField::Type::String, "c4d6a7aaf78a5c232a9fe76ee93f2c6a"};
      e.fields.insert(pick(2) ? e.fields.begin() : e.fields.end(), t);
    }
    return e;
  }

  GenField field(size_t i) {
    std::string key = std::string(pick_of(kKeys)) + std::to_string(i);
    switch (pick(7)) {
      case 0:
        return {key, GenField::Type::Int, std::to_string(static_cast<int64_t>(pick(100000)) - 500)};
      case 1:
        return {key, GenField::Type::Bool, pick(2) ? "true" : "false"};
      case 2:
        return {key, GenField::Type::Null, ""};
      case 3:
        return {key, GenField::Type::Map, R"({"k":"v w","n":[1,2,{"d":"x\"y"}]})"};
      case 4:
        return {key, GenField::Type::Time,
                rfc3339_ms(clock_ms_ - 1000 * static_cast<int64_t>(pick(1000)))};
      default:
        return {key, GenField::Type::String, pick_of(kValues)};
    }
  }

  static constexpr const char* kLoggers[] = {
      "coderd", "coderd.userauth", "autobuild", "coderd.autobuild",
      "coderd.provisionerd-coder-7c9f8d6b5-xk2lp-1", "provisionerd-host.example.com-2",
      "coderd.agentrpc", "pubsub",
      // not on any list: external daemons, renamed servers, later subsystems
      "provisioner-host-1", "mycoderd", "coderd2", "ext_worker.sub-2", "wsproxy-eu.west",
      "acme.audit_forwarder", "tls-proxy", "worker7", "a.b.c.d"};
  static constexpr const char* kMessages[] = {
      "workspace build error", "failed to transition workspace", "new version of coder available",
      "failed to publish: connection reset", "GET", "provisioner job failed",
      "a  message with  double spaces", "", "unicode: héllo wörld ✓", "x=1 is not a field",
      "oauth2: inside a named logger's message",
      // dots like a block marker, with no block
      "loading ...", "...", "... waiting"};
  static constexpr const char* kUnnamedMessages[] = {
      "oauth2: token exchange failed",
      "x509: certificate signed by unknown authority",
      "http: TLS handshake error from 10.0.0.1:5678: EOF",
      "json: cannot unmarshal string",
      "Error: bad request",
      "pq: duplicate key value",
      "context deadline exceeded",
      "net/http: request canceled",
      "started",
      "failed: no rows",
      "listening on 0.0.0.0:3000",
      "waiting ..."};
  static constexpr const char* kMultiLineMessages[] = {"line1\n\nline2", "first\n  indented\nlast",
                                                       "\nstarts empty",
                                                       "{\n  \"looks\": \"like json\"\n}"};
  // Block lines that look like other formats must stay in the block.
  static constexpr const char* kMultiLineValues[] = {
      "exit status 1\nstderr: boom",
      "a\n\nb\n   c",
      "Terraform plan\n  + resource \"x\" {\n  }\nPlan: 1 to add",
      "{\n  \"a\": 1\n}",
      "2025-09-16 08:00:00.000 [info]  coderd: looks like a header\nsecond",
      ("2025-09-16T08:00:00.000000000Z stdout F looks like "
       "cri\n{\"log\":\"x\\n\",\"stream\":\"stdout\"}"),
      "\nfirst line empty",
      "[API] 2025-09-16 08:00:00.000 [info]  prefixed\n[API] also"};  // (ANSI in a value is
                                                                      // stripped: ambiguous)
  static constexpr const char* kKeys[] = {"workspace_id", "job_id", "path", "took",
                                          "status",       "email",  "x"};
  static constexpr const char* kValues[] = {
      "plain",   "with space", "quote\"inside", "back\\slash", "tab\there", "domain=sum.golang.org",
      "ünïcode", "trailing ",  "a=b  c=d",      "..."};
  static constexpr const char* kUsers[] = {"alice", "bob", "zachkipp"};
  static constexpr const char* kHosts[] = {"sum.golang.org", "pastebin.com", "api.github.com",
                                           "registry.npmjs.org"};

  std::mt19937 rng_;
  int64_t clock_ms_ = 1'758'009'600'000;  // 2025-09-16T08:00:00Z
};

}  // namespace auditrelay::test
