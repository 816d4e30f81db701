// Column alignment as docker's tables do it: Go's text/tabwriter (elastic tabstops).
#pragma once

#include <string>
#include <string_view>

namespace berth::cli {

struct TabOptions {
    size_t minWidth = 10;  // minimal cell width, padding included
    size_t padding = 3;    // added to the widest cell of a column
    char padChar = ' ';
};

// Aligns tab-terminated cells: a column is the run of consecutive lines that have a cell
// there; each cell is padded to max(minWidth, widest + padding) display columns. The text
// after a line's last tab is not part of any column and is not padded. Docker's settings
// (minwidth 10, padding 3, ' ') are the defaults.
std::string tabwrite(std::string_view text, const TabOptions& opts = {});

}  // namespace berth::cli
