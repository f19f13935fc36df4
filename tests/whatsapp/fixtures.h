// The WhatsApp samples in ../shared/fixtures/whatsapp/ (SOURCES.md there says where each comes
// from), read for the tests, and JSON helpers that do not throw.
#pragma once

#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <fstream>
#include <sstream>
#include <string>
#include <string_view>

namespace antrean::whatsapp::testing {

inline std::string FixtureDir() { return ANTREAN_SHARED_DIR "/fixtures/whatsapp"; }

// The exact bytes of a fixture file; a test failure when it cannot be read.
inline std::string Fixture(std::string_view name) {
  const std::string path = FixtureDir() + "/" + std::string(name);
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    ADD_FAILURE() << "cannot read " << path;
    return "";
  }
  std::ostringstream bytes;
  bytes << in.rdbuf();
  return bytes.str();
}

// JSON text as a value; null (and a test failure) when it does not parse.
inline boost::json::value Json(std::string_view text) {
  boost::system::error_code ec;
  boost::json::value v = boost::json::parse(boost::json::string_view(text.data(), text.size()), ec);
  if (ec) ADD_FAILURE() << "not JSON: " << ec.message() << ": " << text.substr(0, 200);
  return v;
}

}  // namespace antrean::whatsapp::testing
