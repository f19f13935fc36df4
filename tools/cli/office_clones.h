// Office files made of clones of config/offices.json's offices, with invented ids, names, numbers
// and phone_number_ids: the benchmarks' offices (clones of "bogor") and the simulator's (clones of
// every office in turn, so that WIB and WITA offices, Batam's window and its e-KTP photo are all
// exercised). One place, so that a change to the office file's shape is made once.
#pragma once

#include <boost/json/object.hpp>
#include <string>
#include <string_view>
#include <vector>

namespace antrean::cli {

struct OfficeClones {
  int count = 1;
  std::string id_prefix;             // "office-" -> office-000, office-001, ...
  std::string display_prefix;        // "0811 20": numbers 0811 20NN NNNN
  std::string phone_number_id_base;  // "2000000": ids 2000000NNNNNNNN
  std::string generator;             // who generated the file, for the file's _comment
  int session_capacity = 0;          // 0: the source's sessions; else three sessions this large
  int horizon_days = 0;              // 0: the source's booking horizon
  // The offices cloned, in turn (clone i is of sources[i % size]); empty: every office of the file.
  std::vector<std::string> sources = {"bogor"};
  // Holidays are dropped unless kept, so that every service day of the week is open and the
  // demand per day is predictable (the benchmarks).
  bool keep_holidays = false;
  // Merged key by key into defaults.forensics (created when absent).
  boost::json::object forensics_overrides{};
};

// The office file's text; "" with `*error` set when `config_text` is not an office file holding
// every office named in `spec.sources`.
std::string CloneOffices(std::string_view config_text, const OfficeClones& spec,
                         std::string* error);

}  // namespace antrean::cli
