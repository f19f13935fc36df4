// `antrean serve` as a child process, for the tests that kill it: started with its stdout on a
// pipe (to learn the address it listens on), stopped with SIGTERM or SIGKILL.
#pragma once

#include <gtest/gtest.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <string>
#include <vector>

extern char** environ;

namespace antrean::support {

class ServerProcess {
 public:
  // Runs ANTREAN_BINARY serve ARGS... and waits for its "listening on http://ADDR" line.
  explicit ServerProcess(const std::vector<std::string>& args) {
    int out[2];
    if (pipe(out) != 0) {
      ADD_FAILURE() << "pipe";
      return;
    }
    std::vector<std::string> argv = {ANTREAN_BINARY, "serve"};
    argv.insert(argv.end(), args.begin(), args.end());
    std::vector<char*> cargv;
    for (auto& a : argv) cargv.push_back(a.data());
    cargv.push_back(nullptr);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, out[1], STDOUT_FILENO);
    posix_spawn_file_actions_addclose(&actions, out[0]);
    const int rc = posix_spawn(&pid_, cargv[0], &actions, nullptr, cargv.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    close(out[1]);
    if (rc != 0) {
      ADD_FAILURE() << "posix_spawn " << argv[0];
      close(out[0]);
      pid_ = -1;
      return;
    }
    // The first line names the address; the rest of stdout is not read (the log is on stderr).
    std::string line;
    char c;
    while (read(out[0], &c, 1) == 1 && c != '\n') line += c;
    stdout_fd_ = out[0];
    const std::string prefix = "listening on ";
    if (line.rfind(prefix, 0) == 0) url_ = line.substr(prefix.size());
    EXPECT_FALSE(url_.empty()) << "no address from antrean serve: \"" << line << "\"";
  }
  ~ServerProcess() {
    if (pid_ > 0) Kill(SIGKILL);
    if (stdout_fd_ >= 0) close(stdout_fd_);
  }
  ServerProcess(const ServerProcess&) = delete;
  ServerProcess& operator=(const ServerProcess&) = delete;

  const std::string& url() const { return url_; }
  bool ok() const { return pid_ > 0 && !url_.empty(); }
  pid_t pid() const { return pid_; }
  // Sends `signal` and waits; returns the exit code (-signal when killed by one).
  int Kill(int signal) {
    if (pid_ <= 0) return -1;
    kill(pid_, signal);
    int status = 0;
    waitpid(pid_, &status, 0);
    pid_ = -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : -WTERMSIG(status);
  }

 private:
  pid_t pid_ = -1;
  int stdout_fd_ = -1;
  std::string url_;
};

}  // namespace antrean::support
