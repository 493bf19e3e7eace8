// crmrules command line: reading records from CSV and JSON Lines files, for every subcommand.
//
// The format comes from `--input-format` or else the file's extension (.csv, .tsv, .jsonl,
// .ndjson). A CSV file has a header row; columns are matched to fields by the names and aliases of
// the rules file's schema (id, name, 客户名称, custom fields...), list fields (phones, emails,
// tags) are separated by ';', and a cell is converted to its field's type (integer, decimal,
// boolean, money such as 50万, RFC 3339 time, duration such as 2h). A JSON Lines file has one
// record per line in the library's JSON form (crmrules/model/json.hpp).
//
// Nothing is dropped silently. A malformed row, invalid UTF-8 (by byte offset), a value of the
// wrong type (by field and row), a missing required field or a repeated id is reported on the
// error stream as `file:line: error: ...`; with `--skip-bad-rows` it is reported as a warning and
// the row is left out, otherwise the whole input is refused after every bad row was reported. A
// missing required column or an unreadable file refuses the input at once.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "crmrules/model/schema.hpp"
#include "util/utf8.hpp"

namespace CLI {
class App;
}

namespace crmrules::cli {

class progress;

enum class input_format : std::uint8_t { csv, jsonl };

/// The input options every subcommand that reads records shares.
struct input_options {
  std::string format;     ///< "csv", "jsonl", or empty: by extension
  std::string delimiter;  ///< one character, "\t" or "tab"; empty: ',' (a tab for .tsv)
  bool skip_bad_rows = false;
};

/// Adds --input-format, --delimiter and --skip-bad-rows to a subcommand.
void add_input_options(CLI::App& app, input_options& options);

/// At most this many bad rows of one file are printed; the rest are counted.
inline constexpr std::size_t max_reported_rows = 100;

/// Counts and prints the bad rows (or lines) of one input file: each problem as
/// `file:line: error: ...`, or as a warning with "(row skipped)" when bad rows are skipped; at
/// most max_reported_rows rows are printed, the rest counted. Every reader of input files uses it,
/// so all of them report alike.
class bad_rows {
 public:
  /// `noun` names a unit of the file in messages: "row" (CSV, records) or "line".
  bad_rows(std::ostream& err, std::string source, bool skip, std::string noun = "row")
      : err_(err), source_(std::move(source)), noun_(std::move(noun)), skip_(skip) {}

  /// A bad row at `line` with its problems (all printed).
  void bad(std::uint64_t line, const std::vector<std::string>& problems);
  void bad(std::uint64_t line, const std::string& problem);
  /// A warning at `line` that does not make the row bad.
  void warn(std::uint64_t line, const std::string& what);
  /// Prints how many were not shown; whether the input may be used (no bad rows, or skipping).
  [[nodiscard]] bool finish() const;
  [[nodiscard]] std::size_t count() const noexcept { return count_; }
  [[nodiscard]] bool skipping() const noexcept { return skip_; }

 private:
  std::ostream& err_;
  std::string source_;
  std::string noun_;
  bool skip_;
  std::size_t count_ = 0;
};

/// Calls `each(line, begin, text)` for every non-blank line of a JSON Lines file: its 1-based
/// line number, the byte offset where it starts, and its text without the line end (a leading
/// byte-order mark and CRLF line ends are skipped).
template <class F>
void for_each_line(std::string_view data, F each) {
  std::size_t pos = data.starts_with("\xEF\xBB\xBF") ? 3 : 0;
  std::uint64_t line = 0;
  while (pos < data.size()) {
    ++line;
    const std::size_t nl = data.find('\n', pos);
    const std::size_t end = nl == std::string_view::npos ? data.size() : nl;
    std::string_view text = data.substr(pos, end - pos);
    const std::size_t begin = pos;
    pos = nl == std::string_view::npos ? data.size() : nl + 1;
    if (text.ends_with('\r')) text.remove_suffix(1);
    if (detail::trim_blanks(text).empty()) continue;
    each(line, begin, text);
  }
}

/// "invalid UTF-8 at byte offset N (byte 0xC3); save the file as UTF-8", for the byte at
/// `offset` of `data`.
[[nodiscard]] std::string invalid_utf8_message(std::string_view data, std::size_t offset);

/// Records read from one file.
template <class R>
struct record_set {
  std::string source;                ///< the path as given ("<stdin>": standard input)
  std::vector<R> records;            ///< in file order
  std::vector<std::uint64_t> lines;  ///< the line each record starts on
  std::size_t skipped = 0;           ///< bad rows left out (with --skip-bad-rows)
};

struct read_request {
  std::string path;                   ///< "-" reads standard input (then --input-format is needed)
  const schema* fields = nullptr;     ///< the rules file's schema of the record kind
  std::vector<std::string> required;  ///< fields every record must have, non-empty ("id" always)
  const input_options* options = nullptr;
  progress* meter = nullptr;  ///< optional
};

/// Reads every record of `request.path`, reporting problems on `err`. nullopt when the input is
/// refused (unreadable, bad header, or bad rows without --skip-bad-rows).
template <stored_record R>
[[nodiscard]] std::optional<record_set<R>> read_records(const read_request& request,
                                                        std::ostream& err);

/// The format of `path` by `--input-format` or its extension; nullopt (after a message on `err`)
/// when neither tells.
[[nodiscard]] std::optional<input_format> format_of(const std::string& path,
                                                    const input_options& options,
                                                    std::ostream& err);

/// The CSV delimiter: `--delimiter` ("\t" and "tab" are a tab), else a tab for a .tsv file (any
/// case) and a comma otherwise.
[[nodiscard]] char delimiter_of(const std::string& option, const std::string& path);

/// Converts the text of a CSV cell to a value of `type` (empty text is null). invalid_argument
/// says what was expected.
[[nodiscard]] result<value> parse_cell(std::string_view text, value_type type);

/// Reads a whole file (or standard input for "-"). not_found / unavailable with the reason;
/// invalid_argument for a directory, or for "-" a second time (standard input is read once).
[[nodiscard]] result<std::string> read_file(const std::string& path);

}  // namespace crmrules::cli
