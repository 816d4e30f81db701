#include "cli/table.h"

#include <vector>

#include "cli/units.h"

namespace berth::cli {

namespace {

using Line = std::vector<std::string_view>;

class TabWriter {
  public:
    TabWriter(const std::vector<Line>& lines, const TabOptions& opts)
        : lines_(lines), opts_(opts) {}

    std::string run() {
        format(0, lines_.size());
        return std::move(out_);
    }

  private:
    void writeLines(size_t line0, size_t line1) {
        for (size_t i = line0; i < line1; ++i) {
            const Line& line = lines_[i];
            for (size_t j = 0; j < line.size(); ++j) {
                out_ += line[j];
                if (j < widths_.size()) {
                    size_t w = displayWidth(line[j]);
                    if (widths_[j] > w) out_.append(widths_[j] - w, opts_.padChar);
                }
            }
            if (i + 1 < lines_.size()) out_ += '\n';
        }
    }

    // The recursion of Go's tabwriter: find each block of lines having a cell in the next
    // column, size that column over the block, then format the columns to its right.
    void format(size_t line0, size_t line1) {
        size_t column = widths_.size();
        for (size_t cur = line0; cur < line1; ++cur) {
            if (column + 1 >= lines_[cur].size()) continue;
            writeLines(line0, cur);
            line0 = cur;
            size_t width = opts_.minWidth;
            for (; cur < line1 && column + 1 < lines_[cur].size(); ++cur)
                width = std::max(width, displayWidth(lines_[cur][column]) + opts_.padding);
            widths_.push_back(width);
            format(line0, cur);
            widths_.pop_back();
            line0 = cur;  // `cur` lacks this column, so the loop may step over it
        }
        writeLines(line0, line1);
    }

    const std::vector<Line>& lines_;
    const TabOptions& opts_;
    std::vector<size_t> widths_;
    std::string out_;
};

std::vector<std::string_view> split(std::string_view s, char sep) {
    std::vector<std::string_view> parts;
    for (size_t start = 0;;) {
        size_t p = s.find(sep, start);
        if (p == std::string_view::npos) {
            parts.push_back(s.substr(start));
            return parts;
        }
        parts.push_back(s.substr(start, p - start));
        start = p + 1;
    }
}

}  // namespace

std::string tabwrite(std::string_view text, const TabOptions& opts) {
    std::vector<Line> lines;
    auto rows = split(text, '\n');
    for (size_t i = 0; i < rows.size(); ++i) {
        Line cells = split(rows[i], '\t');
        // The unterminated last line only has a trailing cell if it has text.
        if (i + 1 == rows.size() && cells.back().empty()) cells.pop_back();
        lines.push_back(std::move(cells));
    }
    return TabWriter(lines, opts).run();
}

}  // namespace berth::cli
