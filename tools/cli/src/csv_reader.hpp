// crmrules command line: an RFC 4180 CSV reader that says where a row went wrong.
//
// Records are separated by LF or CRLF; fields by a one-byte delimiter (',' unless told). A field
// that starts with a double quote is quoted: it may hold delimiters, line breaks and doubled
// quotes (""), and must be followed by a delimiter, a line break or the end of the input. A quote
// anywhere else is an error, not a guess. Empty lines are not records. A UTF-8 byte order mark at
// the start is skipped.
//
// Why not libfccp (Debian's Fast C++ CSV Parser, evaluated for this): it splits the input into
// lines before it looks at quotes, so a quoted line break ends the row; its column count and
// delimiter are template parameters (no `--delimiter` at run time without one instantiation per
// character); and it reports problems by throwing, without the byte offset of the bad input.
//
// After an error the reader resynchronises at the next line (for a quoted field that is never
// closed: at the line after the one the record started on), so the caller can report the row and
// go on (`--skip-bad-rows`). The reader works on text in memory and never copies it whole.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace crmrules::cli {

/// One record as read.
struct csv_record {
  std::vector<std::string> fields;
  std::uint64_t line = 0;      ///< 1-based line where the record starts
  std::uint64_t end_line = 0;  ///< line where it ends (greater when a quoted field has line breaks)
  std::size_t begin = 0;       ///< byte offset of its first byte in the input
  std::size_t end = 0;         ///< byte offset just past its last byte (line break excluded)
};

/// A malformed record.
struct csv_error {
  std::uint64_t line = 0;     ///< 1-based line where the record starts
  std::uint64_t at_line = 0;  ///< the line of the offending byte
  std::size_t offset = 0;     ///< byte offset of the offending byte (or of the end of the input)
  std::string message;        ///< in words: "unexpected 'x' after the closing quote of field 3"
};

class csv_reader {
 public:
  enum class outcome { record, error, end };

  /// Reads `data` (which must outlive the reader) with `delimiter` between fields.
  explicit csv_reader(std::string_view data, char delimiter = ',') noexcept;

  /// The next record into `out`, or the next error into `err` (the reader then resumes after
  /// the bad record), or the end.
  outcome next(csv_record& out, csv_error& err);

  /// The line the reader has reached (1-based).
  [[nodiscard]] std::uint64_t line() const noexcept { return line_; }

 private:
  outcome fail(csv_error& err, std::uint64_t record_line, std::string message);
  void skip_to_next_line() noexcept;

  std::string_view data_;
  char delimiter_;
  std::size_t pos_ = 0;
  std::uint64_t line_ = 1;
};

/// Printable form of the byte at `data[offset]` for messages: 'x', or "a line break", or
/// "the end of the input".
[[nodiscard]] std::string describe_byte(std::string_view data, std::size_t offset);

}  // namespace crmrules::cli
