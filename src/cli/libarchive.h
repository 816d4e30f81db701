// libarchive for the few verbs that make or read a tar (build, cp), opened on first use.
//
// Linked like the other libraries, libarchive and what it needs (xml2 with ICU, nettle, acl and
// five compressors: eleven shared objects) were most of the CLI's start-up for every verb, even
// `berth ps`. So the CLI does not link it: libArchive() dlopen()s it once and fills this table
// with the functions the CLI calls, each typed from <archive.h>.
#pragma once

#include <archive.h>
#include <archive_entry.h>

#include "common/result.h"

namespace berth::cli {

#define BERTH_LIBARCHIVE_FUNCTIONS(X)                                                              \
    X(archive_error_string)                                                                        \
    X(archive_read_new)                                                                            \
    X(archive_read_free) X(archive_read_support_format_tar) X(archive_read_support_format_gnutar)  \
        X(archive_read_open_FILE) X(archive_read_next_header) X(archive_read_data_block) X(        \
            archive_write_new) X(archive_write_free) X(archive_write_set_format_pax_restricted)    \
            X(archive_write_set_bytes_per_block) X(archive_write_set_bytes_in_last_block)          \
                X(archive_write_open) X(archive_write_header) X(archive_write_data) X(             \
                    archive_write_data_block) X(archive_write_finish_entry) X(archive_write_close) \
                    X(archive_write_disk_new) X(archive_write_disk_set_options)                    \
                        X(archive_entry_new) X(archive_entry_free) X(archive_entry_copy_stat)      \
                            X(archive_entry_pathname) X(archive_entry_set_pathname)                \
                                X(archive_entry_hardlink) X(archive_entry_set_hardlink)            \
                                    X(archive_entry_set_symlink) X(archive_entry_set_size)         \
                                        X(archive_entry_set_uid) X(archive_entry_set_gid)          \
                                            X(archive_entry_set_nlink) X(archive_entry_set_ino)    \
                                                X(archive_entry_set_dev) X(archive_entry_filetype)

struct LibArchive {
#define BERTH_LIBARCHIVE_MEMBER(f) decltype(&::f) f = nullptr;
    BERTH_LIBARCHIVE_FUNCTIONS(BERTH_LIBARCHIVE_MEMBER)
#undef BERTH_LIBARCHIVE_MEMBER
};

// Loads the library once (thread-safe); the error names it when it is missing or too old.
Result<const LibArchive*> libArchive();
// The table after a successful libArchive() (callers check that first, once per operation).
const LibArchive& la();

}  // namespace berth::cli
