// Content-addressed blob store: <root>/content/sha256/<hex>.
//
// Writes go through an ingest file (<root>/content/ingest/<key>) that is hashed as it is written,
// fsynced and renamed into place only when its digest (and size) match: a blob is either whole
// and verified or absent. Reads verify the digest too (readVerified) or hand out an fd for
// streaming (openBlob: callers that hash as they read). Ingests are keyed (by the expected
// digest when there is one) and flock()ed while written, so an interrupted download resumes
// where it stopped and two writers of one blob never interleave. Temp files (<root>/content/tmp)
// are removed on open; ingests are kept for resuming until gc() or a commit removes them.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/result.h"
#include "common/unique_fd.h"
#include "image/digest.h"

namespace berth::image {

class ContentStore {
public:
    // Creates the directories if needed and removes leftovers in tmp/.
    static Result<std::unique_ptr<ContentStore>> open(const std::string& root);

    std::string blobPath(const Digest& d) const;
    bool has(const Digest& d) const;
    Result<int64_t> size(const Digest& d) const;
    // Whole blob, digest verified (for manifests/configs; refuses blobs above maxSize).
    Result<std::string> readVerified(const Digest& d, int64_t maxSize = 64 << 20) const;
    Result<UniqueFd> openBlob(const Digest& d) const;
    // Writes a small blob in one go. With `expected`, a mismatch is an error and nothing stays.
    Result<Digest> put(std::string_view data, const std::optional<Digest>& expected = std::nullopt);
    Status remove(const Digest& d);
    Result<std::vector<Digest>> list() const;

    // An open ingest. Not thread-safe: one writer per ingest (the flock enforces it across
    // processes; a second ingest() of the same key waits for the first unless nonBlocking).
    class Writer {
    public:
        Writer(Writer&&) noexcept;
        Writer& operator=(Writer&&) noexcept;
        ~Writer();  // aborts when not committed: the partial file stays for a resume

        Status write(const void* data, size_t n);
        Status write(std::string_view s) { return write(s.data(), s.size()); }
        int64_t offset() const;  // bytes written so far (incl. those resumed)
        // The ingest file's path, for a reader that follows the download (unpack while pulling).
        const std::string& path() const;
        // Verifies, fsyncs, renames into place. If the blob already exists it is kept.
        Result<Digest> commit(const std::optional<Digest>& expected,
                              std::optional<int64_t> expectedSize = std::nullopt);
        // Throws the partial data away (a digest mismatch, a non-resumable source).
        void discard();
        // Restart from zero (a server that ignored a Range request).
        Status truncate();

    private:
        friend class ContentStore;
        struct Impl;
        explicit Writer(std::unique_ptr<Impl> i);
        std::unique_ptr<Impl> impl_;
    };

    // Opens (or resumes: re-hashing the data already there) the ingest named `key` (a digest
    // string or any name of [A-Za-z0-9:._-]). resume=false truncates what was there.
    Result<Writer> ingest(const std::string& key, bool resume = true);
    // Removes ingest files nobody holds (their flock is free); returns bytes freed.
    Result<int64_t> cleanIngests();
    // A temp path under the store (same filesystem as blobs) for callers building a blob.
    std::string tmpDir() const;
    const std::string& root() const { return root_; }

private:
    explicit ContentStore(std::string root);
    std::string root_;
};

}  // namespace berth::image
