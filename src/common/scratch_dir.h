// Scratch directories: where `replay` and `recheck` build what they compare with the ledger, and
// remove afterwards.
#pragma once

#include <string>
#include <string_view>

#include "common/status.h"

namespace antrean {

// Creates a fresh directory "<base>/<prefix>.XXXXXX" (mkdtemp) and returns its path; `base` is
// created if missing. An empty `base` means $TMPDIR, or /tmp. InvalidArgument, naming the
// directory, when either cannot be made.
Result<std::string> MakeScratchDir(const std::string& base, std::string_view prefix);

// Removes a scratch directory and everything in it when destroyed (errors are ignored: it is
// scratch). Empty: nothing to remove.
class ScratchDirRemover {
 public:
  explicit ScratchDirRemover(std::string dir) : dir_(std::move(dir)) {}
  ~ScratchDirRemover();
  ScratchDirRemover(const ScratchDirRemover&) = delete;
  ScratchDirRemover& operator=(const ScratchDirRemover&) = delete;
  const std::string& dir() const { return dir_; }

 private:
  std::string dir_;
};

}  // namespace antrean
