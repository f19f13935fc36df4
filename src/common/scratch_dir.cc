#include "common/scratch_dir.h"

#include <stdlib.h>

#include <cstdlib>
#include <filesystem>
#include <system_error>

namespace antrean {

Result<std::string> MakeScratchDir(const std::string& base_in, std::string_view prefix) {
  std::string base = base_in;
  if (base.empty()) {
    const char* tmp = std::getenv("TMPDIR");
    base = tmp != nullptr && *tmp != '\0' ? tmp : "/tmp";
  }
  std::error_code ec;
  std::filesystem::create_directories(base, ec);
  if (ec) {
    return Status::InvalidArgument("cannot create the scratch directory " + base + ": " +
                                   ec.message());
  }
  std::string tmpl = base + "/" + std::string(prefix) + ".XXXXXX";
  if (mkdtemp(tmpl.data()) == nullptr) {
    return Status::InvalidArgument("cannot create a scratch directory in " + base);
  }
  return tmpl;
}

ScratchDirRemover::~ScratchDirRemover() {
  std::error_code ec;
  if (!dir_.empty()) std::filesystem::remove_all(dir_, ec);
}

}  // namespace antrean
