// ChildProcess: runs a program with its stdout on a pipe, reads its output
// lines, and kills it (only it, by pid). For the storage crash and backup
// tests.
//
// Thread-safety: none; one owner.
#ifndef SAMPLAN_STORAGE_TESTING_CHILD_PROCESS_H_
#define SAMPLAN_STORAGE_TESTING_CHILD_PROCESS_H_

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <functional>
#include <string>
#include <vector>

namespace samplan {
namespace testing_util {

class ChildProcess {
 public:
  explicit ChildProcess(const std::vector<std::string>& argv) {
    int fds[2];
    if (pipe(fds) != 0) std::abort();
    pid_ = fork();
    if (pid_ < 0) std::abort();
    if (pid_ == 0) {
      dup2(fds[1], STDOUT_FILENO);
      close(fds[0]);
      close(fds[1]);
      std::vector<char*> args;
      for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
      args.push_back(nullptr);
      execv(args[0], args.data());
      _exit(127);
    }
    close(fds[1]);
    fd_ = fds[0];
  }
  ~ChildProcess() {
    Kill();
    if (fd_ >= 0) close(fd_);
  }
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  // Calls on_line for each complete line until `timeout` passes or the
  // output ends. Returns false at end of output.
  bool ReadLines(std::chrono::milliseconds timeout,
                 const std::function<void(const std::string&)>& on_line) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (true) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0) return true;
      pollfd p{fd_, POLLIN, 0};
      if (poll(&p, 1, static_cast<int>(left.count())) <= 0) continue;
      char buf[4096];
      const ssize_t n = read(fd_, buf, sizeof(buf));
      if (n <= 0) return false;
      pending_.append(buf, n);
      size_t eol;
      while ((eol = pending_.find('\n')) != std::string::npos) {
        on_line(pending_.substr(0, eol));
        pending_.erase(0, eol + 1);
      }
    }
  }

  // SIGKILLs the child (if still running) and reaps it. Returns its wait
  // status.
  int Kill() {
    if (pid_ <= 0) return status_;
    kill(pid_, SIGKILL);
    waitpid(pid_, &status_, 0);
    pid_ = -1;
    return status_;
  }
  // Waits for the child to exit by itself.
  int Wait() {
    if (pid_ <= 0) return status_;
    waitpid(pid_, &status_, 0);
    pid_ = -1;
    return status_;
  }

 private:
  pid_t pid_ = -1;
  int fd_ = -1;
  int status_ = 0;
  std::string pending_;
};

}  // namespace testing_util
}  // namespace samplan

#endif  // SAMPLAN_STORAGE_TESTING_CHILD_PROCESS_H_
