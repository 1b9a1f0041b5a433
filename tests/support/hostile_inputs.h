#pragma once
// Hostile log input: nesting far past any parser's limit, huge keys, lines and field counts,
// NUL and control bytes, invalid UTF-8, BOM + CRLF, duplicate keys, numbers no machine type
// holds, a file ending mid-line. Used by the robustness tests, the end-to-end test through `run`
// and as fuzz seeds (tests/fuzz/write_hostile_seeds.cpp). Every event made of these must be
// valid JSON, and no line may be lost.
#include <cstdio>
#include <string>
#include <vector>

namespace auditrelay::test {

struct HostileInput {
  std::string name;
  std::string text;
  size_t events = 0;  // events `format: auto` makes of it: one per non-blank line
};

inline std::string json_line(const std::string& fields_body, const std::string& msg = "hostile") {
  return R"({"ts":"2025-09-16T08:00:00.123Z","level":"INFO","msg":")" + msg +
         R"(","logger_names":["coderd"],"fields":{)" + fields_body + "}}\n";
}

inline std::string nested(size_t depth, bool arrays, bool alternate = false) {
  std::string open, close;
  for (size_t i = 0; i < depth; ++i) {
    bool arr = alternate ? (i % 2 == 1) : arrays;
    open += arr ? "[" : "{\"k\":";
    close.insert(0, arr ? "]" : "}");
  }
  return open + "\"leaf\"" + close;
}

inline const char* kHumanHead = "2025-09-16 08:00:00.123 [info]  coderd: hostile";

inline std::vector<HostileInput> hostile_inputs() {
  using namespace std::string_literals;
  std::vector<HostileInput> v;
  auto add = [&](std::string name, std::string text, size_t events) {
    v.push_back({std::move(name), std::move(text), events});
  };

  for (size_t depth : {31, 32, 33, 126, 127, 128, 500, 1000, 1021, 1022, 1025, 10000}) {
    add("deep_object_" + std::to_string(depth), json_line("\"v\":" + nested(depth, false)), 1);
    add("deep_array_" + std::to_string(depth), json_line("\"v\":" + nested(depth, true)), 1);
  }
  add("deep_mixed_300",
      json_line("\"v\":" + nested(300, false, true) + ",\"password\":{\"x\":" + nested(200, true) +
                "}"),
      1);
  add("deep_secret_below_the_cut",
      json_line("\"v\":" + nested(40, false).replace(nested(40, false).find("\"leaf\""), 6,
                                                     "{\"token\":\"s3cr3t\"}")),
      1);
  add("deep_human_value",
      std::string(kHumanHead) + "  v=" + nested(600, false, true) + "  w=" + nested(5000, true) +
          "\n",
      1);
  add("deep_audit_diff",
      R"({"ts":"2025-09-16T08:00:00Z","level":"INFO","msg":"audit_log","fields":{"ID":"5c1f0e4e-1f0e-4e1f-8e1f-0e4e1f0e4e1f","Diff":{"x":{"Old":)" +
          nested(300, false) + R"(,"New":)" + nested(300, true) +
          R"(,"Secret":false}},"AdditionalFields":)" + nested(100, false) + "}}\n",
      1);

  std::string many;
  for (int i = 0; i < 20000; ++i)
    many += (i ? "," : "") + std::string("\"f") + std::to_string(i) + "\":" + std::to_string(i);
  add("fields_20000_json", json_line(many), 1);
  std::string many_human = kHumanHead;
  for (int i = 0; i < 20000; ++i) many_human += "  f" + std::to_string(i) + "=" + std::to_string(i);
  add("fields_20000_human", many_human + "\n", 1);

  std::string key(100 * 1024, 'k');
  add("key_100k_json", json_line("\"" + key + "\":\"v\""), 1);
  add("key_100k_human", std::string(kHumanHead) + "  " + key + "=v\n", 1);
  add("line_8mib_json", json_line("\"v\":\"" + std::string(8 << 20, 'x') + "\""), 1);
  add("value_4mib_human",
      std::string(kHumanHead) + "  v=\"" + std::string(4 << 20, 'y') + "\\n\"\n", 1);

  add("nul_bytes",
      json_line("\"a\":\"x\\u0000y\"") +
          "{\"ts\":\"2025-09-16T08:00:00Z\",\"msg\":\"raw\0nul\"}\n"s + kHumanHead +
          "  v=a\0b  \0k=1\n"s,
      3);
  add("invalid_utf8",
      json_line("\"k\xff\xfe\":\"v\xc3\x28\",\"ok\":\"\xe2\x82\"") + std::string(kHumanHead) +
          "  k\xff=v\xc3\x28  \"q\xfe\"=\"\xed\xa0\x80\"\n" + "\xc0\xaf raw \xf8\x88\x80\x80\x80\n",
      3);
  std::string crlf_json = json_line("\"a\":1");
  crlf_json.back() = '\r';
  add("bom_crlf", "\xEF\xBB\xBF" + crlf_json + "\n" + kHumanHead + "  a=1\r\n" + "plain text\r\n",
      3);
  add("duplicate_keys",
      R"({"ts":"2025-09-16T08:00:00Z","level":"INFO","msg":"one","msg":"two","level":"ERROR","fields":{"a":1,"a":"x","RequestID":"r1","request_id":"r2"}})"
      "\n" +
          std::string(kHumanHead) + "  a=1  a=2  workspace_id=w1  workspace_id=w2\n",
      2);
  add("big_numbers",
      json_line(
          "\"a\":1e400,\"b\":1180591620717411303424,\"c\":-1180591620717411303424,\"d\":1e-400,"
          "\"e\":123456789012345678901234567890.5,\"f\":-0,\"g\":18446744073709551615,\"h\":"
          "18446744073709551616") +
          std::string(kHumanHead) +
          "  a=1e400  b=1180591620717411303424  c=-0  d=0x10  e=1e+06  f=NaN  g=Inf\n",
      2);
  std::string controls;
  for (int c = 1; c < 0x20; ++c) controls += static_cast<char>(c == '\n' ? ' ' : c);
  controls += '\x7f';
  std::string escaped;
  for (int c = 0; c < 0x20; ++c) {
    char b[8];
    std::snprintf(b, sizeof b, "\\u%04x", c);
    escaped += b;
  }
  add("control_bytes",
      json_line("\"e\":\"" + escaped + "\",\"k" + escaped + "\":1") + std::string(kHumanHead) +
          "  v=" + controls + "  w=\"" + controls + "\"\n",
      2);
  add("eof_mid_line", json_line("\"a\":1") + "{\"ts\":\"2025-09-16T08:00:00Z\",\"level\":\"IN", 2);
  add("eof_mid_human_block", std::string(kHumanHead) + " ...\n    error= first\n           sec", 1);

  // Wrapped: CRI with the deep line split into partials on both streams, Docker with hostile text.
  std::string deep = json_line("\"v\":" + nested(700, false, true));
  deep.pop_back();
  std::string cri;
  for (size_t at = 0; at < deep.size(); at += 1000) {
    bool last = at + 1000 >= deep.size();
    cri += "2025-09-16T08:00:00.1Z stdout " + std::string(last ? "F " : "P ") +
           deep.substr(at, 1000) + "\n";
    cri += "2025-09-16T08:00:00.2Z stderr F " + std::string(kHumanHead) +
           "  i=" + std::to_string(at) + "\n";
  }
  add("cri_deep_partials", cri, 1 + (deep.size() + 999) / 1000);
  add("docker_hostile",
      R"({"log":"{\"ts\":\"2025-09-16T08:00:00Z\",\"level\":\"INFO\",\"msg\":\"a\\u0000b\",\"fields\":{\"v\":)" +
          std::string(400, '[') + std::string(400, ']') +
          R"(}}\n","stream":"stdout","time":"2025-09-16T08:00:00Z"})" + "\n" +
          R"({"log":"\u0000\ud800 not coder\n","stream":"stderr","time":"bad"})" + "\n",
      2);
  return v;
}

}  // namespace auditrelay::test
