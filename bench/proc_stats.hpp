// CPU time and memory of processes and threads, from /proc and getrusage.
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <string>

namespace evstream::bench {

// User plus system CPU seconds of a process, all its threads (/proc/PID/stat).
double process_cpu_seconds(pid_t pid);
// … of one thread of this process (/proc/self/task/TID/stat).
double thread_cpu_seconds_of(pid_t tid);
// User plus system CPU seconds of this process (getrusage), children excluded.
double own_cpu_seconds();

// Entries of /proc/PID/fd; 0 when unreadable.
std::size_t process_open_descriptors(pid_t pid);

// A field of /proc/PID/status in KiB ("VmRSS", "VmHWM"); 0 when unreadable.
long status_kib(pid_t pid, const std::string& field);

// "AMD EPYC 7B13" from /proc/cpuinfo.
std::string cpu_model();
// "Debian GNU/Linux 12 (bookworm)", from /etc/os-release.
std::string os_name();
// MemTotal in GiB, rounded.
long memory_gib();
long online_cpus();

} // namespace evstream::bench
