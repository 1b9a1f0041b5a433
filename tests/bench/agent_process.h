#pragma once
// A benchmarked agent as a child process: started with posix_spawn, its CPU seconds and peak RSS
// read from /proc while it runs (so shutdown is not counted), stopped with SIGTERM.
#include <signal.h>
#include <spawn.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

extern char** environ;

namespace auditrelay::bench {

// Starts argv[0] with this process's environment plus `extra_env` ("K=V K2=V2"). stdout goes to
// `stdout_fd` when it is set (a pipe the caller reads), stderr stays the benchmark's.
inline pid_t spawn_process(std::vector<std::string> args, const std::string& extra_env = "",
                           int stdout_fd = -1) {
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  std::vector<std::string> extra;
  std::istringstream in(extra_env);
  for (std::string kv; in >> kv;) extra.push_back(kv);
  std::vector<char*> envp;
  for (char** v = environ; *v; ++v) envp.push_back(*v);
  for (auto& kv : extra) envp.push_back(kv.data());
  envp.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  if (stdout_fd >= 0) posix_spawn_file_actions_adddup2(&actions, stdout_fd, STDOUT_FILENO);
  pid_t pid = -1;
  int rc = posix_spawn(&pid, args[0].c_str(), &actions, nullptr, argv.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) throw std::runtime_error("cannot start " + args[0]);
  return pid;
}

// The process's user + system CPU seconds so far, all threads, from /proc/<pid>/stat.
inline double process_cpu_seconds(pid_t pid) {
  std::ifstream st("/proc/" + std::to_string(pid) + "/stat");
  std::string stat((std::istreambuf_iterator<char>(st)), std::istreambuf_iterator<char>());
  // The command name (field 2) may hold spaces; count fields after its closing parenthesis.
  std::istringstream rest(stat.substr(stat.rfind(')') + 2));
  std::string f;
  for (int field = 3; field < 14 && rest >> f; ++field) {
  }
  double utime = 0, stime = 0;
  rest >> utime >> stime;
  return (utime + stime) / static_cast<double>(sysconf(_SC_CLK_TCK));
}

// The process's own peak RSS since exec, in KiB (wait4's ru_maxrss would include the moment
// before exec when the spawned child still shared this process's memory).
inline double peak_rss_kib(pid_t pid) {
  std::ifstream st("/proc/" + std::to_string(pid) + "/status");
  std::string key;
  while (st >> key) {
    if (key == "VmHWM:") {
      double kib = 0;
      st >> kib;
      return kib;
    }
    st.ignore(4096, '\n');
  }
  return 0;
}

// SIGTERM, wait, and return the process's CPU seconds (user + system), shutdown included.
inline double stop_process(pid_t pid) {
  kill(pid, SIGTERM);
  int status;
  rusage ru{};
  wait4(pid, &status, 0, &ru);
  return ru.ru_utime.tv_sec + ru.ru_stime.tv_sec +
         (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

}  // namespace auditrelay::bench
