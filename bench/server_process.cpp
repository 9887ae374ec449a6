#include "bench/server_process.hpp"

#include "bench/proc_stats.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <deque>
#include <fstream>
#include <mutex>
#include <regex>
#include <set>
#include <stdexcept>
#include <thread>

namespace evstream::bench {

namespace {

std::mutex live_mutex;
std::set<pid_t> live_servers;

void forget(pid_t pid) {
  std::lock_guard lock{live_mutex};
  live_servers.erase(pid);
}

} // namespace

void kill_all_servers() {
  std::lock_guard lock{live_mutex};
  for (pid_t pid : live_servers)
    ::kill(pid, SIGKILL);
}

unsigned long raise_open_files(unsigned long open_files) {
  rlimit limit{};
  ::getrlimit(RLIMIT_NOFILE, &limit);
  if (limit.rlim_cur < open_files) {
    rlimit wanted{open_files, std::max<rlim_t>(open_files, limit.rlim_max)};
    if (::setrlimit(RLIMIT_NOFILE, &wanted) != 0) {
      // Without CAP_SYS_RESOURCE the hard limit is the ceiling.
      wanted.rlim_cur = std::min<rlim_t>(open_files, limit.rlim_max);
      wanted.rlim_max = limit.rlim_max;
      ::setrlimit(RLIMIT_NOFILE, &wanted);
    }
    ::getrlimit(RLIMIT_NOFILE, &limit);
  }
  return static_cast<unsigned long>(limit.rlim_cur);
}

server_process::server_process(std::vector<std::string> argv, unsigned long open_files, std::string log_path,
                               std::chrono::milliseconds startup)
    : log_path_(std::move(log_path)) {
  // Everything the child needs is prepared before fork: after it, only
  // async-signal-safe calls.
  std::vector<char*> args;
  for (auto& arg : argv)
    args.push_back(arg.data());
  args.push_back(nullptr);
  const int log = ::open(log_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (log < 0) throw std::runtime_error("cannot write " + log_path_ + ": " + std::strerror(errno));
  const rlimit files{open_files, open_files};
  const pid_t parent = ::getpid();
  const std::string directory = log_path_.substr(0, log_path_.rfind('/') + 1);

  pid_ = ::fork();
  if (pid_ < 0) {
    ::close(log);
    throw std::runtime_error(std::string{"fork: "} + std::strerror(errno));
  }
  if (pid_ == 0) {
    ::prctl(PR_SET_PDEATHSIG, SIGKILL); // never outlive the benchmark
    if (::getppid() != parent) ::_exit(127);
    ::setrlimit(RLIMIT_NOFILE, &files);
    // Its own directory, so that no evstream.ini of the caller's applies.
    if (::chdir(directory.c_str()) != 0) ::_exit(127);
    ::dup2(log, STDOUT_FILENO);
    ::dup2(log, STDERR_FILENO);
    ::execv(args[0], args.data());
    ::_exit(127);
  }
  ::close(log);
  {
    std::lock_guard lock{live_mutex};
    live_servers.insert(pid_);
  }

  // evstream's "listening" log line ("url":"http://…"), or the reference server's banner.
  const std::regex listening{R"((?:listening on |"url":")https?://[0-9.]+:([0-9]+))"};
  const auto give_up = std::chrono::steady_clock::now() + startup;
  while (std::chrono::steady_clock::now() < give_up) {
    std::ifstream file{log_path_};
    std::string line;
    while (std::getline(file, line)) {
      std::smatch match;
      if (std::regex_search(line, match, listening)) {
        port_ = static_cast<std::uint16_t>(std::stoi(match[1]));
        return;
      }
    }
    if (!running())
      throw std::runtime_error(argv[0] + " ended before listening (" + exit_ + "): " + log_tail());
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  stop(std::chrono::seconds(1));
  throw std::runtime_error(argv[0] + " printed no port within " + std::to_string(startup.count()) + " ms");
}

server_process::~server_process() {
  if (exit_.empty()) stop(std::chrono::seconds(3));
}

double server_process::cpu_seconds() const { return process_cpu_seconds(pid_); }
long server_process::rss_kib() const { return status_kib(pid_, "VmRSS"); }
long server_process::peak_rss_kib() const { return status_kib(pid_, "VmHWM"); }
std::size_t server_process::open_descriptors() const { return process_open_descriptors(pid_); }

bool server_process::running() {
  if (!exit_.empty()) return false;
  int status = 0;
  if (::waitpid(pid_, &status, WNOHANG) == pid_) {
    record_exit(status);
    return false;
  }
  return true;
}

std::string server_process::stop(std::chrono::milliseconds grace) {
  if (!running()) return exit_;
  ::kill(pid_, SIGTERM);
  const auto give_up = std::chrono::steady_clock::now() + grace;
  while (std::chrono::steady_clock::now() < give_up) {
    if (!running()) return exit_;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  ::kill(pid_, SIGKILL);
  int status = 0;
  ::waitpid(pid_, &status, 0);
  record_exit(status);
  exit_ += " (after SIGTERM was ignored for " + std::to_string(grace.count()) + " ms)";
  return exit_;
}

void server_process::record_exit(int status) {
  forget(pid_);
  if (WIFEXITED(status))
    exit_ = "exit " + std::to_string(WEXITSTATUS(status));
  else if (WIFSIGNALED(status))
    exit_ = std::string{"killed by SIG"} + ::sigabbrev_np(WTERMSIG(status))
            + (WCOREDUMP(status) ? " (core dumped)" : "");
  else
    exit_ = "status " + std::to_string(status);
}

std::string server_process::log_tail(std::size_t lines) const {
  std::ifstream file{log_path_};
  std::deque<std::string> tail;
  std::string line;
  while (std::getline(file, line)) {
    tail.push_back(line);
    if (tail.size() > lines) tail.pop_front();
  }
  std::string text;
  for (const auto& kept : tail)
    text += (text.empty() ? "" : " | ") + kept;
  return text;
}

} // namespace evstream::bench
