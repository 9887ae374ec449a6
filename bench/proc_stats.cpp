#include "bench/proc_stats.hpp"

#include <sys/resource.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

namespace evstream::bench {

namespace {

double stat_cpu_seconds(const std::string& path) {
  std::ifstream file{path};
  std::string text;
  std::getline(file, text);
  // The command name may hold spaces and parentheses: fields count from the last ')'.
  const auto close = text.rfind(')');
  if (close == std::string::npos) return 0.0;
  std::istringstream fields{text.substr(close + 2)};
  std::string field;
  unsigned long long utime = 0;
  unsigned long long stime = 0;
  for (int number = 3; number <= 15 && fields >> field; ++number) {
    if (number == 14) utime = std::stoull(field);
    if (number == 15) stime = std::stoull(field);
  }
  return static_cast<double>(utime + stime) / static_cast<double>(::sysconf(_SC_CLK_TCK));
}

} // namespace

double process_cpu_seconds(pid_t pid) { return stat_cpu_seconds("/proc/" + std::to_string(pid) + "/stat"); }

double thread_cpu_seconds_of(pid_t tid) {
  return stat_cpu_seconds("/proc/self/task/" + std::to_string(tid) + "/stat");
}

double own_cpu_seconds() {
  rusage usage{};
  ::getrusage(RUSAGE_SELF, &usage);
  auto seconds = [](const timeval& tv) {
    return static_cast<double>(tv.tv_sec) + static_cast<double>(tv.tv_usec) / 1e6;
  };
  return seconds(usage.ru_utime) + seconds(usage.ru_stime);
}

std::size_t process_open_descriptors(pid_t pid) {
  std::error_code ec;
  std::size_t n = 0;
  for (std::filesystem::directory_iterator it{"/proc/" + std::to_string(pid) + "/fd", ec}, end;
       !ec && it != end; it.increment(ec))
    ++n;
  return n;
}

long status_kib(pid_t pid, const std::string& field) {
  std::ifstream file{"/proc/" + std::to_string(pid) + "/status"};
  std::string line;
  const std::string prefix = field + ":";
  while (std::getline(file, line))
    if (line.compare(0, prefix.size(), prefix) == 0) return std::stol(line.substr(prefix.size()));
  return 0;
}

std::string cpu_model() {
  std::ifstream file{"/proc/cpuinfo"};
  std::string line;
  while (std::getline(file, line))
    if (line.compare(0, 10, "model name") == 0) {
      auto value = line.substr(line.find(':') + 1);
      return value.substr(value.find_first_not_of(' '));
    }
  return "unknown";
}

std::string os_name() {
  std::ifstream file{"/etc/os-release"};
  std::string line;
  const std::string key = "PRETTY_NAME=";
  while (std::getline(file, line))
    if (line.compare(0, key.size(), key) == 0) {
      auto value = line.substr(key.size());
      if (value.size() >= 2 && value.front() == '"') value = value.substr(1, value.size() - 2);
      return value;
    }
  return "unknown";
}

long memory_gib() {
  std::ifstream file{"/proc/meminfo"};
  std::string name;
  long kib = 0;
  while (file >> name >> kib)
    if (name == "MemTotal:") return (kib + (1 << 19)) >> 20;
  return 0;
}

long online_cpus() { return ::sysconf(_SC_NPROCESSORS_ONLN); }

} // namespace evstream::bench
