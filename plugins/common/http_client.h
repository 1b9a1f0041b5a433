#pragma once
// A blocking HTTP client for plugins (outputs, the Coder API input), on one libcurl easy handle per
// output so the connection is reused (keep-alive; HTTP/2 when the server offers it over TLS).
#include <chrono>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/config/options.h"

namespace auditrelay {

struct HttpClientOptions {
  std::map<std::string, std::string> headers;
  std::string basic_user, basic_password, bearer_token;
  std::string ca_file, cert_file, key_file;
  bool verify = true;
  std::string proxy;
  std::chrono::milliseconds timeout{30000}, connect_timeout{10000};
  size_t max_body = 64 * 1024;  // bytes of a response body kept (outputs only need its start)
};

struct HttpResponse {
  long status = 0;         // 0 = transport error
  std::string error;       // transport error text
  std::string body;        // the body, or its first max_body bytes
  bool truncated = false;  // the body was longer than max_body
  std::chrono::milliseconds retry_after{0};
};

// A request body kept as its pieces (events and the separators between them), which libcurl reads
// in order through a read callback instead of from one joined string: joining the body was about
// a third of the HTTP sender thread (~7 % of the agent) on bulk file -> http. The pieces must
// outlive the request.
struct HttpBodyParts {
  std::vector<std::string_view> parts;
  size_t size = 0;  // sum of the parts' sizes, sent as Content-Length
  void add(std::string_view p) {
    parts.push_back(p);
    size += p.size();
  }
  void clear() {
    parts.clear();
    size = 0;
  }
};

class HttpClient {
 public:
  explicit HttpClient(HttpClientOptions opts);
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  HttpResponse request(const std::string& method, const std::string& url, const std::string& body,
                       const std::vector<std::string>& extra_headers);
  HttpResponse post(const std::string& url, const std::string& body,
                    const std::vector<std::string>& headers) {
    return request("POST", url, body, headers);
  }
  // POSTs the parts back to back with Content-Length set; libcurl can rewind them to resend.
  HttpResponse post(const std::string& url, const HttpBodyParts& body,
                    const std::vector<std::string>& headers);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Option tables shared by http-style outputs and inputs.
std::vector<OptionSpec> http_client_specs();
HttpClientOptions http_client_options(const Options& o);

// Config check shared by http-style plugins: `url` must be http:// or https://, and the TLS files
// it names must be readable.
void validate_http_client(const Options& o, const std::string& path, Diagnostics& d);

// base + path, without doubling the slash between them ("http://c:4318/" + "/v1/logs").
inline std::string join_url(std::string base, std::string_view path) {
  while (!base.empty() && base.back() == '/') base.pop_back();
  return base.append(path);
}

// gzip-compresses data (RFC 1952).
std::string gzip_compress(std::string_view data, int level = 6);
std::string gzip_compress(const HttpBodyParts& body, int level = 6);

}  // namespace auditrelay
