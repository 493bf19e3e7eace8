// crmrules command line: where results go (standard output or --output FILE), and in which form
// (--format jsonl, csv or table).
#pragma once

#include <cstddef>
#include <cstdint>
#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>
#include <ostream>
#include <string>
#include <vector>

#include "crmrules/status.hpp"

namespace CLI {
class App;
}

namespace crmrules::cli {

/// Standard output, or a file created (truncated) for writing.
class output {
 public:
  /// `path` empty or "-": standard output. not_found / unavailable when the file cannot be made.
  [[nodiscard]] static result<std::unique_ptr<output>> open(const std::string& path);

  [[nodiscard]] std::ostream& stream() noexcept { return *out_; }
  /// Flushes; unavailable when anything could not be written (a full disk, a closed pipe).
  [[nodiscard]] status finish();

 private:
  output() = default;
  std::string path_;
  std::unique_ptr<std::ofstream> file_;
  std::ostream* out_ = nullptr;
};

/// The form results are written in.
enum class output_format : std::uint8_t {
  jsonl,  ///< one JSON object per line (the default; every field, nested values kept)
  csv,    ///< RFC 4180, a header row per kind of row; lists joined with ';'
  table,  ///< aligned columns for people (East Asian wide characters count two columns)
};

/// The output options every subcommand that writes results shares.
struct output_options {
  std::string path;              ///< --output; empty: standard output
  std::string format = "jsonl";  ///< --format
  [[nodiscard]] output_format form() const noexcept;
};

/// Adds --output FILE and --format jsonl|csv|table to a subcommand.
void add_output_options(CLI::App& app, output_options& options);

/// Compact JSON; invalid UTF-8 (which input checks keep out) is replaced rather than thrown.
[[nodiscard]] std::string dump(const nlohmann::ordered_json& j);

/// Writes result rows, each a JSON object, in one of the output formats.
///
/// JSON Lines writes each row as it comes. CSV writes a header row whenever the keys of a row
/// differ from the previous row's (so pairs and then clusters become two blocks, separated by an
/// empty line); a list of scalars becomes one cell joined with ';', any other object or list its
/// compact JSON. A table is buffered per block and printed with aligned columns at the end of the
/// block (cells longer than `max_cell` columns are cut with '…'). Not thread-safe; the stream
/// must outlive the writer. Call finish() (also done by the destructor) to print the last table.
class row_writer {
 public:
  row_writer(std::ostream& out, output_format format, std::size_t max_cell = 48)
      : out_(out), format_(format), max_cell_(max_cell) {}
  ~row_writer() { finish(); }
  row_writer(const row_writer&) = delete;
  row_writer& operator=(const row_writer&) = delete;

  /// Writes one row (an object; anything else is written as {"value": row}).
  void write(const nlohmann::ordered_json& row);
  /// Ends the current block: prints a buffered table. Safe to call more than once.
  void finish();

  [[nodiscard]] output_format format() const noexcept { return format_; }

 private:
  void start_block(const std::vector<std::string>& keys);
  std::ostream& out_;
  output_format format_;
  std::size_t max_cell_;
  std::vector<std::string> keys_;
  std::vector<std::vector<std::string>> table_;  // buffered cells of the current block
  bool any_block_ = false;
  std::size_t printed_tables_ = 0;
};

/// One cell's text for CSV and tables: strings as they are, null empty, a list of scalars
/// joined with ';', any other value its compact JSON.
[[nodiscard]] std::string cell_text(const nlohmann::ordered_json& v);

/// Terminal columns `s` takes (UTF-8; East Asian wide characters count two).
[[nodiscard]] std::size_t text_columns(const std::string& s);

}  // namespace crmrules::cli
