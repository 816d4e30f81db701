// The engine's database: one SQLite file (WAL) under --root holding a row per container, exec
// is not persisted (docker forgets execs on restart too), volume and the counters /metrics
// reports. Rows hold the record as JSON text: the schema evolves with the record, not with
// ALTER TABLE. Crash rule: callers write files first, then the row; recovery reconciles.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "common/result.h"

struct sqlite3;

namespace berth::engine {

class Store {
  public:
    static Result<std::unique_ptr<Store>> open(const std::string& path);
    ~Store();
    Store(const Store&) = delete;
    Store& operator=(const Store&) = delete;

    // table: "containers" or "volumes"; key: id or volume name.
    Status put(const std::string& table, const std::string& key, const std::string& name,
               const std::string& record);
    Status remove(const std::string& table, const std::string& key);
    // key -> record.
    Result<std::map<std::string, std::string>> all(const std::string& table);

  private:
    explicit Store(sqlite3* db) : db_(db) {}
    Status exec(const std::string& sql);
    sqlite3* db_;
    std::mutex mu_;
};

}  // namespace berth::engine
