// A ledger's RocksDB database opened directly, without the ledger: the view of an attacker (or an
// auditor) with access to the disk, to change rows behind the ledger's back.
#pragma once

#include <gtest/gtest.h>
#include <rocksdb/db.h>

#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

namespace antrean::support {

// The database in `dir` with every column family it has opened (docs/FORMAT.md lists them), as
// RocksDB requires. A change that cannot be made throws: the test would mean nothing without it.
class RawDb {
 public:
  explicit RawDb(const std::string& dir,
                 const rocksdb::ColumnFamilyOptions& family_options = rocksdb::ColumnFamilyOptions()) {
    rocksdb::DBOptions options;
    std::vector<std::string> names;
    Check(rocksdb::DB::ListColumnFamilies(options, dir, &names), "listing column families");
    std::vector<rocksdb::ColumnFamilyDescriptor> families;
    for (const auto& name : names) families.emplace_back(name, family_options);
    rocksdb::DB* raw = nullptr;
    Check(rocksdb::DB::Open(options, dir, families, &handles_, &raw), "opening " + dir);
    db_.reset(raw);
  }
  ~RawDb() {
    if (db_ == nullptr) return;
    for (auto* h : handles_) EXPECT_TRUE(db_->DestroyColumnFamilyHandle(h).ok());
    EXPECT_TRUE(db_->Close().ok());
  }
  RawDb(const RawDb&) = delete;
  RawDb& operator=(const RawDb&) = delete;

  rocksdb::DB* db() { return db_.get(); }
  rocksdb::ColumnFamilyHandle* Family(const std::string& name) {
    for (auto* h : handles_) {
      if (h->GetName() == name) return h;
    }
    throw std::runtime_error("the database has no column family " + name);
  }
  rocksdb::ColumnFamilyHandle* events() { return Family("events"); }
  rocksdb::ColumnFamilyHandle* index() { return Family("index"); }
  rocksdb::ColumnFamilyHandle* idempotency() { return Family("idempotency"); }
  rocksdb::ColumnFamilyHandle* state() { return Family("state"); }

  std::string Get(rocksdb::ColumnFamilyHandle* cf, const std::string& key) {
    std::string value;
    Check(db_->Get(rocksdb::ReadOptions(), cf, key, &value), "get");
    return value;
  }
  void Put(rocksdb::ColumnFamilyHandle* cf, const std::string& key, const std::string& value) {
    Check(db_->Put(rocksdb::WriteOptions(), cf, key, value), "put");
  }
  void Delete(rocksdb::ColumnFamilyHandle* cf, const std::string& key) {
    Check(db_->Delete(rocksdb::WriteOptions(), cf, key), "delete");
  }

 private:
  static void Check(const rocksdb::Status& s, const std::string& what) {
    if (!s.ok()) throw std::runtime_error(what + ": " + s.ToString());
  }

  std::unique_ptr<rocksdb::DB> db_;
  std::vector<rocksdb::ColumnFamilyHandle*> handles_;
};

}  // namespace antrean::support
