// `auditrelay top`: a live view of each input and output of a running agent, from the same
// /metrics a Prometheus scrapes (and /readyz). On a terminal it redraws every --interval until
// q or Ctrl-C; otherwise (or with --once) it prints one table made of two scrapes and exits.
#include <poll.h>
#include <sys/signalfd.h>
#include <termios.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <thread>

#include "agent/cli/agent_client.h"
#include "agent/cli/commands.h"
#include "agent/cli/top_view.h"

namespace auditrelay {
namespace {

struct Scrape {
  std::vector<MetricSample> samples;
  std::string readiness;
  bool ready = false;
  std::chrono::steady_clock::time_point at;
};

std::optional<Scrape> scrape(httplib::Client& client, std::string& error) {
  Scrape s;
  s.at = std::chrono::steady_clock::now();
  auto metrics = client.Get("/metrics");
  if (!metrics || metrics->status != 200) {
    error = metrics ? "/metrics answered " + std::to_string(metrics->status)
                    : unreachable_reason(metrics);
    return std::nullopt;
  }
  s.samples = parse_metrics_text(metrics->body);
  auto ready = client.Get("/readyz");
  s.ready = ready && ready->status == 200;
  s.readiness = ready ? ready->body : "readiness unknown";
  while (!s.readiness.empty() && s.readiness.back() == '\n') s.readiness.pop_back();
  for (auto& c : s.readiness)
    if (c == '\n') c = ' ';
  return s;
}

TopView view_of(const Scrape& before, const Scrape& after) {
  double seconds = std::chrono::duration<double>(after.at - before.at).count();
  TopView v = make_top_view(before.samples, after.samples, seconds);
  v.ready = after.ready;
  v.readiness = after.readiness;
  return v;
}

// The terminal while top redraws: single-key input (q quits), no cursor; restored on exit.
// Ctrl-C, Ctrl-\\, SIGTERM and SIGHUP arrive through a signalfd, so that they too end the loop
// and the terminal is restored.
class KeyInput {
 public:
  KeyInput() : tty_(isatty(STDIN_FILENO) && tcgetattr(STDIN_FILENO, &saved_) == 0) {
    std::fputs("\033[?25l", stdout);  // hide the cursor while redrawing
    sigemptyset(&signals_);
    for (int sig : {SIGINT, SIGTERM, SIGQUIT, SIGHUP}) sigaddset(&signals_, sig);
    sigprocmask(SIG_BLOCK, &signals_, nullptr);
    signal_fd_ = signalfd(-1, &signals_, SFD_CLOEXEC);
    if (!tty_) return;
    termios raw = saved_;
    raw.c_lflag &= static_cast<tcflag_t>(~(ICANON | ECHO));
    tcsetattr(STDIN_FILENO, TCSANOW, &raw);
  }
  ~KeyInput() {
    std::fputs("\033[?25h", stdout);
    std::fflush(stdout);
    if (tty_) tcsetattr(STDIN_FILENO, TCSANOW, &saved_);
    if (signal_fd_ >= 0) ::close(signal_fd_);  // a signal read from it is consumed
    sigprocmask(SIG_UNBLOCK, &signals_, nullptr);
  }
  KeyInput(const KeyInput&) = delete;
  KeyInput& operator=(const KeyInput&) = delete;
  // Waits up to `wait`; true when q was pressed or a signal asked to stop.
  bool quit_within(std::chrono::milliseconds wait) {
    auto until = std::chrono::steady_clock::now() + wait;
    for (auto left = wait; left.count() > 0;
         left = std::chrono::duration_cast<std::chrono::milliseconds>(
             until - std::chrono::steady_clock::now())) {
      pollfd p[2] = {{signal_fd_, POLLIN, 0}, {tty_ ? STDIN_FILENO : -1, POLLIN, 0}};
      if (::poll(p, 2, static_cast<int>(left.count())) <= 0) continue;
      if (p[0].revents) {
        signalfd_siginfo info;
        [[maybe_unused]] ssize_t n = ::read(signal_fd_, &info, sizeof info);  // consume it
        return true;
      }
      char c = 0;
      if (p[1].revents && (::read(STDIN_FILENO, &c, 1) != 1 || c == 'q' || c == 'Q')) return true;
    }
    return false;
  }

 private:
  termios saved_{};
  bool tty_;
  sigset_t signals_{};
  int signal_fd_ = -1;
};

}  // namespace

int top_command(const TopArgs& args) {
  AgentUrl u;
  if (!agent_url_option("top", args.url, "/metrics", u)) return 2;
  httplib::Client client(u.host, u.port);
  client.set_connection_timeout(std::chrono::seconds(2));
  client.set_read_timeout(std::chrono::seconds(10));
  std::string agent = u.host + ":" + std::to_string(u.port), error;
  auto interval = std::chrono::milliseconds(static_cast<int64_t>(args.interval * 1000));
  auto before = scrape(client, error);
  if (!before) {
    std::fprintf(stderr, "auditrelay top: %s: %s\n", args.url.c_str(), error.c_str());
    return 1;
  }
  bool live = !args.once && isatty(STDOUT_FILENO);
  if (!live) {
    std::this_thread::sleep_for(interval);
    auto after = scrape(client, error);
    if (!after) {
      std::fprintf(stderr, "auditrelay top: %s: %s\n", args.url.c_str(), error.c_str());
      return 1;
    }
    std::fputs(render_top(view_of(*before, *after), agent, false).c_str(), stdout);
    return 0;
  }
  KeyInput keys;
  bool colour = !std::getenv("NO_COLOR");
  while (!keys.quit_within(interval)) {
    auto after = scrape(client, error);
    std::string screen = "\033[H\033[2J";
    if (after) {
      screen += render_top(view_of(*before, *after), agent, colour);
      before = std::move(after);
    } else {
      screen += "auditrelay top: " + args.url + ": " + error + " (retrying)\n";
    }
    screen += "\nq to quit\n";
    std::fputs(screen.c_str(), stdout);
    std::fflush(stdout);
  }
  return 0;
}

}  // namespace auditrelay
