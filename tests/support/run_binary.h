// Running programs from a test, the real `antrean` binary (ANTREAN_BINARY) above all, through the
// shell (popen): the exit code, standard output, and standard error when it goes to a file.
#pragma once

#include <gtest/gtest.h>
#include <stdio.h>
#include <sys/wait.h>

#include <boost/json.hpp>

#include <algorithm>
#include <cstdio>
#include <sstream>
#include <string>
#include <vector>

#include "tests/support/ledger_fixture.h"

namespace antrean::support {

// `s` as one word for a POSIX shell, single-quoted (a ' inside is '\'').
inline std::string Quote(const std::string& s) {
  std::string q = "'";
  for (char c : s) {
    if (c == '\'') {
      q += "'\\''";
    } else {
      q += c;
    }
  }
  return q + "'";
}

// A finished run: its exit code (-1 when it did not exit normally) and what it wrote.
struct CliRun {
  int exit_code = -1;
  std::string out;
  std::string err;  // only when standard error went to a file the runner read back
  // Standard output as exactly one line holding one JSON object (the --json outputs).
  boost::json::object Json() const {
    boost::system::error_code ec;
    boost::json::value v = boost::json::parse(out, ec);
    EXPECT_FALSE(ec) << "not JSON: " << out;
    EXPECT_TRUE(v.is_object()) << out;
    EXPECT_EQ(std::count(out.begin(), out.end(), '\n'), 1) << "one line: " << out;
    return v.is_object() ? v.as_object() : boost::json::object{};
  }
};

// Runs the shell command line `command`; stdout is captured, stderr goes where `command` sends it
// (by default the test log) and, with `err_file` (which `command` must redirect it to), is read
// back into `err`.
inline CliRun RunShell(const std::string& command, const std::string& err_file = "") {
  CliRun run;
  FILE* p = popen(command.c_str(), "r");
  if (p == nullptr) {
    ADD_FAILURE() << "popen " << command;
    return run;
  }
  char buf[4096];
  std::size_t n;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) run.out.append(buf, n);
  const int status = pclose(p);
  run.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  if (!err_file.empty()) run.err = ReadFile(err_file);
  return run;
}

// Runs `antrean ARGS` (each argument quoted for the shell) with stderr in `tmp`/stderr.txt, read
// back into `err`. `env`, if not empty, is put before it as arguments of env(1) ("K=V", "-u K").
inline CliRun RunAntrean(const std::vector<std::string>& args, const std::string& tmp,
                         const std::string& env = "") {
  const std::string err_file = tmp + "/stderr.txt";
  std::string cmd = env.empty() ? "" : "env " + env + " ";
  cmd += Quote(ANTREAN_BINARY);
  for (const auto& a : args) cmd += " " + Quote(a);
  cmd += " 2>" + Quote(err_file);
  return RunShell(cmd, err_file);
}

// One line of output as a JSON object; anything else fails the test and gives {}.
inline boost::json::object ParseJsonObject(const std::string& line) {
  boost::system::error_code ec;
  boost::json::value v = boost::json::parse(line, ec);
  if (ec || !v.is_object()) {
    ADD_FAILURE() << "not a JSON object line: " << line;
    return {};
  }
  return v.as_object();
}

// Output of one JSON object per line (as `antrean ingest` prints); a line that is not one fails
// the test and is left out.
inline std::vector<boost::json::object> JsonObjectLines(const std::string& out) {
  std::vector<boost::json::object> objects;
  std::istringstream lines(out);
  for (std::string line; std::getline(lines, line);) {
    boost::system::error_code ec;
    boost::json::value v = boost::json::parse(line, ec);
    if (ec || !v.is_object()) {
      ADD_FAILURE() << "not a JSON object line: " << line;
      continue;
    }
    objects.push_back(v.as_object());
  }
  return objects;
}

// One input line of `antrean ingest`: a WhatsApp message.
inline std::string IngestMessage(const std::string& id, const std::string& office,
                                 const std::string& from, const std::string& at,
                                 const std::string& text) {
  return boost::json::serialize(boost::json::object{{"type", "whatsapp.message"},
                                                    {"at", at},
                                                    {"office", office},
                                                    {"message_id", id},
                                                    {"from", from},
                                                    {"text", text}});
}

}  // namespace antrean::support
