#include "engine/store.h"

#include <sqlite3.h>

namespace berth::engine {

namespace {

Error sqlError(sqlite3* db, std::string_view what) {
    return makeError(EIO, "{}: {}", what, sqlite3_errmsg(db));
}

// A prepared statement finalized on every path.
struct Stmt {
    sqlite3_stmt* s = nullptr;
    ~Stmt() { sqlite3_finalize(s); }
};

bool validTable(const std::string& t) {
    return t == "containers" || t == "volumes";
}

}  // namespace

Result<std::unique_ptr<Store>> Store::open(const std::string& path) {
    sqlite3* db = nullptr;
    int rc = sqlite3_open_v2(path.c_str(), &db,
                             SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX,
                             nullptr);
    if (rc != SQLITE_OK) {
        Error e = makeError(EIO, "open database {}: {}", path, db ? sqlite3_errmsg(db) : "?");
        sqlite3_close(db);
        return e;
    }
    std::unique_ptr<Store> st(new Store(db));
    sqlite3_busy_timeout(db, 5000);
    // WAL + NORMAL: a committed transaction survives the process being killed (not a power
    // loss of the last ones, which docker's bolt store does not promise either).
    TRY_CTX(st->exec("PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"), "database {}", path);
    TRY_CTX(st->exec("CREATE TABLE IF NOT EXISTS containers (id TEXT PRIMARY KEY, name TEXT "
                     "UNIQUE, record TEXT NOT NULL);"
                     "CREATE TABLE IF NOT EXISTS volumes (id TEXT PRIMARY KEY, name TEXT, record "
                     "TEXT NOT NULL);"),
            "database {}", path);
    return st;
}

Store::~Store() {
    sqlite3_close(db_);
}

Status Store::exec(const std::string& sql) {
    char* err = nullptr;
    if (sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &err) != SQLITE_OK) {
        Error e = makeError(EIO, "sql: {}", err ? err : "?");
        sqlite3_free(err);
        return e;
    }
    return okStatus();
}

Status Store::put(const std::string& table, const std::string& key, const std::string& name,
                  const std::string& record) {
    if (!validTable(table)) return invalid("unknown table {}", table);
    std::lock_guard lk(mu_);
    Stmt st;
    std::string sql = "INSERT OR REPLACE INTO " + table + " (id, name, record) VALUES (?, ?, ?)";
    if (sqlite3_prepare_v2(db_, sql.c_str(), -1, &st.s, nullptr) != SQLITE_OK)
        return sqlError(db_, "prepare insert");
    sqlite3_bind_text(st.s, 1, key.c_str(), -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st.s, 2, name.c_str(), -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st.s, 3, record.c_str(), -1, SQLITE_TRANSIENT);
    if (sqlite3_step(st.s) != SQLITE_DONE) return sqlError(db_, "save " + table + " " + key);
    return okStatus();
}

Status Store::remove(const std::string& table, const std::string& key) {
    if (!validTable(table)) return invalid("unknown table {}", table);
    std::lock_guard lk(mu_);
    Stmt st;
    std::string sql = "DELETE FROM " + table + " WHERE id = ?";
    if (sqlite3_prepare_v2(db_, sql.c_str(), -1, &st.s, nullptr) != SQLITE_OK)
        return sqlError(db_, "prepare delete");
    sqlite3_bind_text(st.s, 1, key.c_str(), -1, SQLITE_TRANSIENT);
    if (sqlite3_step(st.s) != SQLITE_DONE) return sqlError(db_, "delete " + table + " " + key);
    return okStatus();
}

Result<std::map<std::string, std::string>> Store::all(const std::string& table) {
    if (!validTable(table)) return invalid("unknown table {}", table);
    std::lock_guard lk(mu_);
    Stmt st;
    std::string sql = "SELECT id, record FROM " + table;
    if (sqlite3_prepare_v2(db_, sql.c_str(), -1, &st.s, nullptr) != SQLITE_OK)
        return sqlError(db_, "prepare select");
    std::map<std::string, std::string> out;
    int rc;
    while ((rc = sqlite3_step(st.s)) == SQLITE_ROW) {
        auto col = [&](int i) {
            auto* t = reinterpret_cast<const char*>(sqlite3_column_text(st.s, i));
            return std::string(t ? t : "");
        };
        out.emplace(col(0), col(1));
    }
    if (rc != SQLITE_DONE) return sqlError(db_, "read " + table);
    return out;
}

}  // namespace berth::engine
